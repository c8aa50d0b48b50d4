#include "pages.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#define PM_PFN_MASK ((UINT64_C(1) << 55) - 1)
#define PM_SOFT_DIRTY (UINT64_C(1) << 55)
#define PM_EXCLUSIVE (UINT64_C(1) << 56)
#define PM_FILE (UINT64_C(1) << 61)
#define PM_SWAP (UINT64_C(1) << 62)
#define PM_PRESENT (UINT64_C(1) << 63)
/* fs/proc/task_mmu.c packs a swap entry as type | offset << MAX_SWAPFILES_SHIFT. */
#define PM_SWAP_TYPE_BITS 5

long page_size(void)
{
	return sysconf(_SC_PAGESIZE);
}

/* pread of one 64-bit record at a given index. */
static int pread_u64(int fd, uint64_t index, uint64_t *value)
{
	if (fd < 0)
		return fd;
	if (index > (uint64_t)INT64_MAX / sizeof(*value))
		return -ENXIO;
	ssize_t n = pread(fd, value, sizeof(*value), (off_t)(index * sizeof(*value)));
	if (n < 0)
		return -errno;
	if (n != (ssize_t)sizeof(*value))
		return -ENXIO;
	return 0;
}

static int open_ro(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	return fd < 0 ? -errno : fd;
}

static void decode_pagemap(uint64_t raw, struct pagemap_entry *out)
{
	out->raw = raw;
	out->present = (raw & PM_PRESENT) != 0;
	out->swapped = (raw & PM_SWAP) != 0;
	out->exclusive = (raw & PM_EXCLUSIVE) != 0;
	out->soft_dirty = (raw & PM_SOFT_DIRTY) != 0;
	out->file_or_shared = (raw & PM_FILE) != 0;
	out->pfn = out->present ? (raw & PM_PFN_MASK) : 0;
	out->swap_type = out->swapped ? (unsigned int)(raw & ((1u << PM_SWAP_TYPE_BITS) - 1)) : 0;
	out->swap_offset = out->swapped ? (raw & PM_PFN_MASK) >> PM_SWAP_TYPE_BITS : 0;
}

void page_reader_open(struct page_reader *pr)
{
	pr->pagemap_fd = open_ro("/proc/self/pagemap");
	pr->kpageflags_fd = open_ro("/proc/kpageflags");
}

void page_reader_close(struct page_reader *pr)
{
	if (pr->pagemap_fd >= 0)
		close(pr->pagemap_fd);
	if (pr->kpageflags_fd >= 0)
		close(pr->kpageflags_fd);
	pr->pagemap_fd = pr->kpageflags_fd = -EBADF;
}

int page_reader_pagemap(struct page_reader *pr, uint64_t vaddr, struct pagemap_entry *out)
{
	uint64_t raw;
	int rc = pread_u64(pr->pagemap_fd, vaddr / (uint64_t)page_size(), &raw);
	if (rc)
		return rc;
	decode_pagemap(raw, out);
	return 0;
}

int page_reader_flags(struct page_reader *pr, uint64_t pfn, uint64_t *flags)
{
	return pread_u64(pr->kpageflags_fd, pfn, flags);
}

int pagemap_lookup(pid_t pid, uint64_t vaddr, struct pagemap_entry *out)
{
	char path[64];
	uint64_t raw;

	if (pid > 0)
		snprintf(path, sizeof(path), "/proc/%d/pagemap", (int)pid);
	else
		snprintf(path, sizeof(path), "/proc/self/pagemap");
	int fd = open_ro(path);
	int rc = pread_u64(fd, vaddr / (uint64_t)page_size(), &raw);
	if (fd >= 0)
		close(fd);
	if (rc)
		return rc;
	decode_pagemap(raw, out);
	return 0;
}

int kpageflags_read(uint64_t pfn, uint64_t *flags)
{
	int fd = open_ro("/proc/kpageflags");
	int rc = pread_u64(fd, pfn, flags);
	if (fd >= 0)
		close(fd);
	return rc;
}

int kpageflags_scan(uint64_t start_pfn, int (*fn)(uint64_t pfn, uint64_t flags, void *arg), void *arg)
{
	/* 1 MiB per read: 128Ki PFNs = 512 MiB of guest memory per system call. */
	enum { CHUNK = 128 * 1024 };
	int fd = open_ro("/proc/kpageflags");
	if (fd < 0)
		return fd;
	uint64_t *buf = malloc(CHUNK * sizeof(uint64_t));
	if (!buf) {
		close(fd);
		return -ENOMEM;
	}
	int rc = 0;
	uint64_t pfn = start_pfn;
	for (;;) {
		if (pfn > (uint64_t)INT64_MAX / sizeof(uint64_t))
			break;
		ssize_t n = pread(fd, buf, CHUNK * sizeof(uint64_t), (off_t)(pfn * sizeof(uint64_t)));
		if (n < 0) {
			if (errno == EINTR)
				continue;
			rc = -errno;
			break;
		}
		size_t records = (size_t)n / sizeof(uint64_t);
		if (records == 0)
			break;
		int stop = 0;
		for (size_t i = 0; i < records && !stop; i++)
			stop = fn(pfn + i, buf[i], arg);
		if (stop)
			break;
		pfn += records;
	}
	free(buf);
	close(fd);
	return rc;
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

void json_flag_names(struct json *j, const char *key, uint64_t flags)
{
	json_array_begin(j, key);
	for (unsigned int bit = 0; bit < 64; bit++) {
		if (!(flags & (UINT64_C(1) << bit)))
			continue;
		const char *name = kpageflag_name(bit);
		char unnamed[16];
		if (!name) {
			snprintf(unnamed, sizeof(unnamed), "bit%u", bit);
			name = unnamed;
		}
		json_elem_str(j, name);
	}
	json_array_end(j);
}
