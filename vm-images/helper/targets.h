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
/* Caps keep a target's reply line (about 250 bytes per page) under JSON_LINE_MAX. */
#define MAX_BASE_PAGES 2048
#define MAX_HUGE_PAGES 64
#define MAX_TARGETS 64

struct target {
	int used;
	char name[NAME_MAX_LEN + 1];
	enum target_kind kind;
	unsigned char *addr;
	size_t length;
	/* The unit of `pages` entries and of INDEX: 4 KiB, or 2 MiB for hugetlb and thp. */
	size_t page_size;
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

/* Creates and touches a target (filled with the seed-0 pattern). NULL after reply_fail. */
struct target *target_create(struct reply *r, const char *name, enum target_kind kind, size_t count,
			     const char *path);
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
