/*
 * Physical page lookups through procfs: /proc/PID/pagemap (virtual page -> PFN) and
 * /proc/kpageflags (PFN -> page flags). Both need root to see real PFNs; an unprivileged
 * reader gets PFN 0, which callers must treat as "unknown", never as page 0.
 */
#ifndef MH_PAGES_H
#define MH_PAGES_H

#include <stdint.h>
#include <sys/types.h>

#include "json.h"

struct pagemap_entry {
	uint64_t raw;
	int present;
	int swapped;
	int exclusive;
	int soft_dirty;
	int file_or_shared;
	/* Valid only when present; 0 when hidden from an unprivileged reader. */
	uint64_t pfn;
	/* Valid only when swapped: a real swap slot, or a special entry (hwpoison, migration),
	 * whose offset is then a PFN. The type numbers of the special entries depend on the
	 * kernel's configuration, so they are reported, not interpreted. */
	unsigned int swap_type;
	uint64_t swap_offset;
};

/* Open files for many lookups in a row. A file that could not be opened is -errno in *_fd
 * and every lookup through it returns that. */
struct page_reader {
	int pagemap_fd;
	int kpageflags_fd;
};

void page_reader_open(struct page_reader *pr);
void page_reader_close(struct page_reader *pr);
/* 0 or -errno. */
int page_reader_pagemap(struct page_reader *pr, uint64_t vaddr, struct pagemap_entry *out);
/* 0 or -errno; -ENXIO for a PFN past the end of /proc/kpageflags. */
int page_reader_flags(struct page_reader *pr, uint64_t pfn, uint64_t *flags);

/* One-off lookups. pid 0 means the calling process. 0 or -errno. */
int pagemap_lookup(pid_t pid, uint64_t vaddr, struct pagemap_entry *out);
int kpageflags_read(uint64_t pfn, uint64_t *flags);

/* Calls fn for every PFN from start_pfn on, reading /proc/kpageflags in large chunks (one
 * pread per 8 bytes would take minutes over a few GiB), until fn returns nonzero or the
 * file ends. Returns 0 or -errno. */
int kpageflags_scan(uint64_t start_pfn, int (*fn)(uint64_t pfn, uint64_t flags, void *arg), void *arg);

/* Name of a /proc/kpageflags bit (include/uapi/linux/kernel-page-flags.h and the
 * kernel-internal bits above 31), or NULL for a bit without a name. */
const char *kpageflag_name(unsigned int bit);

/* "key":[names of the set bits] (unnamed bits as "bitN"). */
void json_flag_names(struct json *j, const char *key, uint64_t flags);

/* Bit numbers the helper tests by name. */
#define KPF_SLAB 7
#define KPF_MMAP 11
#define KPF_ANON 12
#define KPF_BUDDY 10
#define KPF_COMPOUND_HEAD 15
#define KPF_COMPOUND_TAIL 16
#define KPF_HUGE 17
#define KPF_HWPOISON 19
#define KPF_THP 22
#define KPF_BIT(n) (UINT64_C(1) << (n))

long page_size(void);

#endif
