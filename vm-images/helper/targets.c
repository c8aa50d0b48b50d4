#define _GNU_SOURCE
#include "targets.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "commands.h"
#include "memops.h"
#include "pages.h"

#ifndef MAP_HUGE_SHIFT
#define MAP_HUGE_SHIFT 26
#endif
#ifndef MAP_HUGE_2MB
#define MAP_HUGE_2MB (21 << MAP_HUGE_SHIFT)
#endif
#ifndef MAP_HUGE_1GB
#define MAP_HUGE_1GB (30 << MAP_HUGE_SHIFT)
#endif
#ifndef MFD_HUGETLB
#define MFD_HUGETLB 0x0004U
#endif
/* memfd_create's huge page size bits are MAP_HUGE_*'s (include/uapi/linux/memfd.h). */
#ifndef MFD_HUGE_2MB
#define MFD_HUGE_2MB (21U << MAP_HUGE_SHIFT)
#endif
#ifndef MFD_HUGE_1GB
#define MFD_HUGE_1GB (30U << MAP_HUGE_SHIFT)
#endif

static struct target targets[MAX_TARGETS];

static const char *const kind_names[] = {
	[KIND_ANON] = "anon",
	[KIND_ANON_SHARED] = "anon-shared",
	[KIND_SHMEM] = "shmem",
	[KIND_FILE_CLEAN] = "file-clean",
	[KIND_FILE_DIRTY] = "file-dirty",
	[KIND_HUGETLB] = "hugetlb",
	[KIND_THP] = "thp",
	[KIND_MLOCKED] = "mlocked",
};

const char *kind_name(enum target_kind kind)
{
	return kind_names[kind];
}

int kind_parse(const char *text, enum target_kind *kind)
{
	for (size_t i = 0; i < sizeof(kind_names) / sizeof(kind_names[0]); i++) {
		if (strcmp(text, kind_names[i]) == 0) {
			*kind = (enum target_kind)i;
			return 0;
		}
	}
	return -1;
}

int kind_is_file(enum target_kind kind)
{
	return kind == KIND_FILE_CLEAN || kind == KIND_FILE_DIRTY;
}

static int kind_is_huge(enum target_kind kind)
{
	return kind == KIND_HUGETLB || kind == KIND_THP;
}

static struct target *find(const char *name)
{
	for (int i = 0; i < MAX_TARGETS; i++) {
		if (targets[i].used && strcmp(targets[i].name, name) == 0)
			return &targets[i];
	}
	return NULL;
}

struct target *target_lookup(struct reply *r, const char *name)
{
	struct target *t = valid_name(name) ? find(name) : NULL;
	if (!t)
		reply_fail(r, 0, "no target named '%s'%s", name,
			   helper_serving ? "" : " (a one-shot run holds no targets: use `serve`)");
	return t;
}

struct target *target_lookup_page(struct reply *r, const char *name, const char *index_text, size_t *index)
{
	uint64_t v;
	struct target *t = target_lookup(r, name);
	if (!t)
		return NULL;
	if (parse_u64(index_text, &v) || v >= t->count) {
		reply_usage(r, "page index '%s' is not in 0..%zu of target '%s'", index_text, t->count - 1,
			    name);
		return NULL;
	}
	*index = (size_t)v;
	return t;
}

const struct target *target_containing(uint64_t addr, size_t *offset)
{
	for (int i = 0; i < MAX_TARGETS; i++) {
		const struct target *t = &targets[i];
		uint64_t start = (uint64_t)(uintptr_t)t->addr;
		if (t->used && addr >= start && addr - start < t->length) {
			*offset = (size_t)(addr - start);
			return t;
		}
	}
	return NULL;
}

/* --- creation --------------------------------------------------------------------- */

static void fail_sigbus(struct reply *r, const struct sigbus_info *info, const char *what)
{
	reply_fail(r, 0, "SIGBUS while %s", what);
	reply_sigbus(&r->body, "sigbus", info);
}

/* Writes the seed pattern into the file with write(2), in chunks. 0 or -errno. */
static int write_pattern(int fd, size_t length, uint32_t seed)
{
	unsigned char buf[64 * 1024];
	size_t off = 0;
	while (off < length) {
		size_t n = length - off < sizeof(buf) ? length - off : sizeof(buf);
		pattern_fill_buffer(buf, n, off, seed);
		ssize_t w = pwrite(fd, buf, n, (off_t)off);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (w == 0)
			return -EIO;
		off += (size_t)w;
	}
	return 0;
}

/* Leaves the file's pages in the page cache as clean copies read back from the file: write,
 * sync, drop the cached copies, then fault them in by reading. Dropping only works for pages
 * nobody maps, hence the MADV_DONTNEED first when the mapping exists. */
static int make_clean(struct reply *r, struct target *t, uint32_t seed)
{
	struct sigbus_info info;
	struct mem_job job = { .base = t->addr, .length = t->length };
	int rc;

	if (t->addr && madvise(t->addr, t->length, MADV_DONTNEED) != 0) {
		reply_fail(r, errno, "madvise(MADV_DONTNEED) on %s failed", t->path);
		return -1;
	}
	rc = write_pattern(t->fd, t->length, seed);
	if (rc) {
		reply_fail(r, -rc, "writing %s failed", t->path);
		return -1;
	}
	if (fsync(t->fd) != 0) {
		reply_fail(r, errno, "fsync of %s failed", t->path);
		return -1;
	}
	/* Returns the error number instead of setting errno. On tmpfs it succeeds and does
	 * nothing: tmpfs has no backing store to re-read from. */
	rc = posix_fadvise(t->fd, 0, (off_t)t->length, POSIX_FADV_DONTNEED);
	if (rc) {
		reply_fail(r, rc, "posix_fadvise(POSIX_FADV_DONTNEED) on %s failed", t->path);
		return -1;
	}
	if (!t->addr) {
		void *p = mmap(NULL, t->length, PROT_READ | PROT_WRITE, MAP_SHARED, t->fd, 0);
		if (p == MAP_FAILED) {
			reply_fail(r, errno, "mmap of %s failed", t->path);
			return -1;
		}
		t->addr = p;
		job.base = p;
	}
	/* Reading, not writing: a store would dirty the page again. */
	if (mem_guarded(mem_read, &job, &info)) {
		fail_sigbus(r, &info, "reading the file's pages in");
		return -1;
	}
	return 0;
}

int target_refill_clean_file(struct reply *r, struct target *t, uint32_t seed)
{
	return make_clean(r, t, seed);
}

static int open_target_file(struct reply *r, struct target *t, const char *path)
{
	if (strlen(path) >= sizeof(t->path)) {
		reply_usage(r, "path too long");
		return -1;
	}
	t->fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (t->fd < 0) {
		reply_fail(r, errno, "cannot create %s", path);
		return -1;
	}
	/* Recorded only once we created it, so release never unlinks someone else's file. */
	strcpy(t->path, path);
	return 0;
}

static void *map_anon(size_t length, int flags)
{
	return mmap(NULL, length, PROT_READ | PROT_WRITE, flags | MAP_ANONYMOUS, -1, 0);
}

/* 2 MiB-aligned anonymous memory: over-allocate by one huge page and trim both ends, so the
 * kernel can back each 2 MiB with one PMD-mapped THP. */
static void *map_aligned_thp(size_t length)
{
	unsigned char *raw = map_anon(length + HUGE_2M, MAP_PRIVATE);
	if (raw == MAP_FAILED)
		return MAP_FAILED;
	uintptr_t start = ((uintptr_t)raw + HUGE_2M - 1) & ~(uintptr_t)(HUGE_2M - 1);
	unsigned char *aligned = (unsigned char *)start;
	size_t head = (size_t)(aligned - raw);
	size_t tail = HUGE_2M - head;
	if (head)
		munmap(raw, head);
	if (tail)
		munmap(aligned + length, tail);
	return aligned;
}

/* The pool a hugetlb target's pages come from, as sysfs names it. */
static const char *hugetlb_pool_file(const struct target *t)
{
	return t->page_size == HUGE_1G ? "/sys/kernel/mm/hugepages/hugepages-1048576kB/nr_hugepages"
				       : "/sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages";
}

/* hugetlb: MAP_PRIVATE|MAP_HUGETLB anonymous memory, or (shared) a memfd on the kernel's
 * internal hugetlbfs mount mapped MAP_SHARED, whose pages are hugetlbfs page cache. Either
 * mmap reserves the pages (HugePages_Rsvd) until they are faulted in. 0, or -1 after
 * reply_fail. */
static int map_hugetlb(struct reply *r, struct target *t)
{
	int huge_1g = t->page_size == HUGE_1G;
	const char *size = huge_1g ? "1 GiB" : "2 MiB";
	void *p;

	if (t->shared) {
		t->fd = memfd_create(t->name, MFD_CLOEXEC | MFD_HUGETLB | (huge_1g ? MFD_HUGE_1GB : MFD_HUGE_2MB));
		if (t->fd < 0) {
			int err = errno;
			reply_fail(r, err, "memfd_create(MFD_HUGETLB) with %s pages failed%s", size,
				   err == ENODEV || err == EINVAL ? ": the kernel has no pool of that size" : "");
			return -1;
		}
		if (ftruncate(t->fd, (off_t)t->length) != 0) {
			reply_fail(r, errno, "ftruncate of the hugetlb memfd failed");
			return -1;
		}
		p = mmap(NULL, t->length, PROT_READ | PROT_WRITE, MAP_SHARED, t->fd, 0);
	} else {
		p = map_anon(t->length, MAP_PRIVATE | MAP_HUGETLB | (huge_1g ? MAP_HUGE_1GB : MAP_HUGE_2MB));
	}
	if (p == MAP_FAILED) {
		int err = errno;
		if (err == ENOMEM)
			reply_fail(r, ENOMEM,
				   "mmap of %zu x %s hugetlb pages failed: not enough free huge pages in "
				   "the pool; reserve some first: echo N > %s (or /proc/sys/vm/nr_hugepages)",
				   t->count, size, hugetlb_pool_file(t));
		else if (err == EINVAL && huge_1g && !t->shared)
			reply_fail(r, err, "mmap(MAP_HUGETLB|MAP_HUGE_1GB) failed: the kernel has no 1 GiB "
					   "pool (boot it with hugepagesz=1G hugepages=N)");
		else
			reply_fail(r, err, "mmap of %zu bytes for a %shugetlb target failed", t->length,
				   t->shared ? "shared " : "");
		return -1;
	}
	t->addr = p;
	return 0;
}

/* Maps t->length bytes of the kind. 0, or -1 after reply_fail. */
static int map_target(struct reply *r, struct target *t, const char *path)
{
	void *p = MAP_FAILED;

	switch (t->kind) {
	case KIND_ANON:
	case KIND_MLOCKED:
		p = map_anon(t->length, MAP_PRIVATE);
		break;
	case KIND_ANON_SHARED:
		p = map_anon(t->length, MAP_SHARED);
		break;
	case KIND_SHMEM:
		t->fd = memfd_create(t->name, MFD_CLOEXEC);
		if (t->fd < 0) {
			reply_fail(r, errno, "memfd_create failed");
			return -1;
		}
		if (ftruncate(t->fd, (off_t)t->length) != 0) {
			reply_fail(r, errno, "ftruncate of the memfd failed");
			return -1;
		}
		p = mmap(NULL, t->length, PROT_READ | PROT_WRITE, MAP_SHARED, t->fd, 0);
		break;
	case KIND_FILE_DIRTY:
		if (open_target_file(r, t, path))
			return -1;
		if (ftruncate(t->fd, (off_t)t->length) != 0) {
			reply_fail(r, errno, "ftruncate of %s failed", path);
			return -1;
		}
		p = mmap(NULL, t->length, PROT_READ | PROT_WRITE, MAP_SHARED, t->fd, 0);
		break;
	case KIND_FILE_CLEAN:
		if (open_target_file(r, t, path))
			return -1;
		return make_clean(r, t, 0);
	case KIND_HUGETLB:
		return map_hugetlb(r, t);
	case KIND_THP:
		p = map_aligned_thp(t->length);
		if (p != MAP_FAILED && madvise(p, t->length, MADV_HUGEPAGE) != 0) {
			int err = errno;
			munmap(p, t->length);
			reply_fail(r, err, "madvise(MADV_HUGEPAGE) failed (kernel without THP?)");
			return -1;
		}
		break;
	}
	if (p == MAP_FAILED) {
		reply_fail(r, errno, "mmap of %zu bytes for a %s target failed", t->length, kind_name(t->kind));
		return -1;
	}
	t->addr = p;
	if (t->kind == KIND_MLOCKED && mlock(p, t->length) != 0) {
		reply_fail(r, errno, "mlock failed");
		return -1;
	}
	return 0;
}

struct target *target_create(struct reply *r, const char *name, enum target_kind kind, size_t count,
			     const char *path, const struct target_options *opts)
{
	static const struct target_options defaults = { .huge_size = HUGE_2M };
	struct target *t = NULL;
	struct sigbus_info info;

	if (!opts)
		opts = &defaults;

	if (find(name)) {
		reply_fail(r, EEXIST, "a target named '%s' exists; release it first", name);
		return NULL;
	}
	for (int i = 0; i < MAX_TARGETS && !t; i++) {
		if (!targets[i].used)
			t = &targets[i];
	}
	if (!t) {
		reply_fail(r, 0, "too many targets (%d); release some", MAX_TARGETS);
		return NULL;
	}

	memset(t, 0, sizeof(*t));
	t->used = 1;
	t->fd = -1;
	t->kind = kind;
	t->count = count;
	if (kind == KIND_HUGETLB && opts->huge_size)
		t->page_size = opts->huge_size;
	else
		t->page_size = kind_is_huge(kind) ? HUGE_2M : (size_t)page_size();
	t->shared = kind == KIND_HUGETLB && opts->shared;
	t->length = count * t->page_size;
	snprintf(t->name, sizeof(t->name), "%s", name);

	if (map_target(r, t, path))
		goto fail;
	if (kind != KIND_FILE_CLEAN && !opts->nofault) {
		/* Written, not read: a read of untouched anonymous memory maps the shared zero
		 * page, and every target page must be a real, present page of its kind. */
		struct mem_job job = { .base = t->addr, .length = t->length, .seed = 0 };
		if (mem_guarded(mem_fill, &job, &info)) {
			fail_sigbus(r, &info, "touching the new pages");
			goto fail;
		}
	}
	return t;
fail:
	target_destroy(t);
	return NULL;
}

void target_destroy(struct target *t)
{
	if (!t->used)
		return;
	if (t->addr)
		munmap(t->addr, t->length);
	if (t->fd >= 0)
		close(t->fd);
	if (t->path[0])
		unlink(t->path);
	memset(t, 0, sizeof(*t));
	t->fd = -1;
}

void target_destroy_all(void)
{
	for (int i = 0; i < MAX_TARGETS; i++)
		target_destroy(&targets[i]);
}

/* --- reporting -------------------------------------------------------------------- */

static int report_page(struct reply *r, struct page_reader *pr, const struct target *t, size_t index)
{
	struct json *j = &r->body;
	uint64_t vaddr = (uint64_t)(uintptr_t)(t->addr + index * t->page_size);
	struct pagemap_entry pm;
	uint64_t flags = 0;
	int have_flags = 0;

	int rc = page_reader_pagemap(pr, vaddr, &pm);
	if (rc) {
		reply_fail(r, -rc, "cannot read /proc/self/pagemap at 0x%llx", (unsigned long long)vaddr);
		return rc;
	}
	/* PFN 0 from a present page means pagemap hid it (no CAP_SYS_ADMIN); spec: never 0. */
	int pfn_known = pm.present && pm.pfn != 0;
	if (pfn_known)
		have_flags = page_reader_flags(pr, pm.pfn, &flags) == 0;

	json_elem_object_begin(j);
	json_int(j, "index", (long long)index);
	json_hex(j, "vaddr", vaddr);
	if (pfn_known)
		json_hex(j, "pfn", pm.pfn);
	else
		json_null(j, "pfn");
	if (have_flags)
		json_hex(j, "flags", flags);
	else
		json_null(j, "flags");
	json_flag_names(j, "names", have_flags ? flags : 0);
	json_bool(j, "present", pm.present);
	if (pm.present && !pfn_known)
		json_bool(j, "pfnHidden", 1);
	if (pm.swapped) {
		/* A poisoned or migrating page leaves a special swap entry whose offset is the
		 * PFN (hwpoison: the poisoned page). */
		json_bool(j, "swapped", 1);
		json_int(j, "swapType", pm.swap_type);
		json_hex(j, "swapOffset", pm.swap_offset);
	}
	if (t->kind == KIND_THP) {
		/* MADV_HUGEPAGE is only a request: say whether a PMD-sized THP backs this. */
		int huge = have_flags && (flags & KPF_BIT(KPF_THP)) && (flags & KPF_BIT(KPF_COMPOUND_HEAD)) &&
			   pm.pfn % (HUGE_2M / (size_t)page_size()) == 0;
		json_bool(j, "huge", huge);
	}
	json_object_end(j);
	return 0;
}

int target_report(struct reply *r, const char *key, const struct target *t)
{
	struct json *j = &r->body;
	struct page_reader pr;
	int rc = 0;

	json_object_begin(j, key);
	json_str(j, "name", t->name);
	json_str(j, "kind", kind_name(t->kind));
	json_hex(j, "vaddr", (uint64_t)(uintptr_t)t->addr);
	json_int(j, "length", (long long)t->length);
	json_int(j, "pageSize", (long long)t->page_size);
	if (t->kind == KIND_HUGETLB)
		json_bool(j, "shared", t->shared);
	if (t->path[0])
		json_str(j, "path", t->path);
	json_array_begin(j, "pages");
	page_reader_open(&pr);
	for (size_t i = 0; i < t->count && rc == 0; i++)
		rc = report_page(r, &pr, t, i);
	page_reader_close(&pr);
	json_array_end(j);
	json_object_end(j);
	return rc;
}
