#include "pages.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

#define PM_PFN_MASK ((UINT64_C(1) << 55) - 1)
#define PM_SOFT_DIRTY (UINT64_C(1) << 55)
#define PM_EXCLUSIVE (UINT64_C(1) << 56)
#define PM_FILE (UINT64_C(1) << 61)
#define PM_SWAP (UINT64_C(1) << 62)
#define PM_PRESENT (UINT64_C(1) << 63)

long page_size(void)
{
	return sysconf(_SC_PAGESIZE);
}

/* pread of one little 64-bit record at a given index, retrying short reads. */
static int read_u64_at(const char *path, uint64_t index, uint64_t *value)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	ssize_t n = pread(fd, value, sizeof(*value), (off_t)(index * sizeof(*value)));
	int err = n < 0 ? errno : 0;
	close(fd);
	if (n < 0)
		return -err;
	if (n != (ssize_t)sizeof(*value))
		return -ENXIO;
	return 0;
}

int pagemap_lookup(pid_t pid, uint64_t vaddr, struct pagemap_entry *out)
{
	char path[64];
	uint64_t raw;

	if (pid > 0)
		snprintf(path, sizeof(path), "/proc/%d/pagemap", (int)pid);
	else
		snprintf(path, sizeof(path), "/proc/self/pagemap");

	int rc = read_u64_at(path, vaddr / (uint64_t)page_size(), &raw);
	if (rc)
		return rc;
	out->raw = raw;
	out->present = (raw & PM_PRESENT) != 0;
	out->swapped = (raw & PM_SWAP) != 0;
	out->exclusive = (raw & PM_EXCLUSIVE) != 0;
	out->soft_dirty = (raw & PM_SOFT_DIRTY) != 0;
	out->file_or_shared = (raw & PM_FILE) != 0;
	out->pfn = out->present ? (raw & PM_PFN_MASK) : 0;
	return 0;
}

int kpageflags_read(uint64_t pfn, uint64_t *flags)
{
	return read_u64_at("/proc/kpageflags", pfn, flags);
}

static const char *const flag_names[64] = {
	[0] = "locked",
	[1] = "error",
	[2] = "referenced",
	[3] = "uptodate",
	[4] = "dirty",
	[5] = "lru",
	[6] = "active",
	[7] = "slab",
	[8] = "writeback",
	[9] = "reclaim",
	[10] = "buddy",
	[11] = "mmap",
	[12] = "anon",
	[13] = "swapcache",
	[14] = "swapbacked",
	[15] = "compound_head",
	[16] = "compound_tail",
	[17] = "huge",
	[18] = "unevictable",
	[19] = "hwpoison",
	[20] = "nopage",
	[21] = "ksm",
	[22] = "thp",
	[23] = "offline",
	[24] = "zero_page",
	[25] = "idle",
	[26] = "pgtable",
	[32] = "reserved",
	[33] = "mlocked",
	[34] = "mappedtodisk",
	[35] = "private",
	[36] = "private_2",
	[37] = "owner_private",
	[38] = "arch",
	[39] = "uncached",
	[40] = "softdirty",
	[41] = "arch_2",
	[42] = "arch_3",
};

const char *kpageflag_name(unsigned int bit)
{
	return bit < 64 ? flag_names[bit] : NULL;
}
