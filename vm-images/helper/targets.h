/*
 * Targets: named memory regions the helper owns between requests, one per kind of page the
 * kernel treats differently on a memory error (anonymous, shared, page cache clean/dirty,
 * hugetlb, THP, mlocked).
 */
#ifndef MH_TARGETS_H
#define MH_TARGETS_H

#include <limits.h>
#include <stddef.h>
#include <stdint.h>

#include "args.h"
#include "json.h"
#include "reply.h"

enum target_kind {
	KIND_ANON,
	KIND_ANON_SHARED,
	KIND_SHMEM,
	KIND_FILE_CLEAN,
	KIND_FILE_DIRTY,
	KIND_HUGETLB,
	KIND_THP,
	KIND_MLOCKED,
};

#define HUGE_2M ((size_t)2 << 20)
#define HUGE_1G ((size_t)1 << 30)
/* Caps keep a target's reply line (about 250 bytes per page) under JSON_LINE_MAX. */
#define MAX_BASE_PAGES 2048
#define MAX_HUGE_PAGES 64
#define MAX_TARGETS 64

/* How alloc makes a hugetlb target (the options after COUNT [PATH]; PROTOCOL.md). */
struct target_options {
	/* hugetlb: the huge page size, HUGE_2M (default) or HUGE_1G. */
	size_t huge_size;
	/* hugetlb: a MAP_SHARED mapping of a hugetlbfs file (memfd_create MFD_HUGETLB) instead
	 * of MAP_PRIVATE|MAP_HUGETLB anonymous memory: the page is in hugetlbfs's page cache. */
	int shared;
	/* hugetlb: map (and so reserve) the pages but never touch them: none is allocated. */
	int nofault;
};

struct target {
	int used;
	char name[NAME_MAX_LEN + 1];
	enum target_kind kind;
	unsigned char *addr;
	size_t length;
	/* The unit of `pages` entries and of INDEX: 4 KiB, or 2 MiB for thp and hugetlb (1 GiB
	 * for hugetlb size=1G). */
	size_t page_size;
	int shared; /* hugetlb: a shared hugetlbfs file mapping (fd is the memfd) */
	size_t count;
	int fd; /* -1 when the kind has no file */
	char path[PATH_MAX]; /* file kinds: the file alloc created ("" otherwise) */
};

const char *kind_name(enum target_kind kind);
int kind_parse(const char *text, enum target_kind *kind);
int kind_is_file(enum target_kind kind);

/* NULL, after reply_fail/reply_usage with a message naming what is wrong. */
struct target *target_lookup(struct reply *r, const char *name);
/* Same, plus a page index check; *index gets the parsed value. */
struct target *target_lookup_page(struct reply *r, const char *name, const char *index_text, size_t *index);

/* Creates and touches a target (filled with the seed-0 pattern; not touched with
 * opts->nofault). opts may be NULL (the defaults). NULL after reply_fail. */
struct target *target_create(struct reply *r, const char *name, enum target_kind kind, size_t count,
			     const char *path, const struct target_options *opts);
void target_destroy(struct target *t);
void target_destroy_all(void);

/* The target whose mapping holds addr, or NULL; *offset gets the byte offset in it. */
const struct target *target_containing(uint64_t addr, size_t *offset);

/* "key": {name, kind, vaddr, length, pageSize, [path], pages: [...]}, pages re-read from
 * pagemap and kpageflags now. Returns 0, or -errno after reply_fail. */
int target_report(struct reply *r, const char *key, const struct target *t);

/* For file-clean: makes the file's content the seed pattern again and the mapped pages clean
 * copies read back from the file. 0, or -1 after reply_fail. */
int target_refill_clean_file(struct reply *r, struct target *t, uint32_t seed);

#endif
