/* alloc, pages, release: the life of a target. */
#include <stddef.h>
#include <string.h>

#include "commands.h"
#include "targets.h"

void cmd_alloc(struct reply *r, int argc, char **argv)
{
	const char *name = argv[0], *path = argc > 3 ? argv[3] : NULL;
	enum target_kind kind;
	uint64_t count;

	if (!valid_name(name)) {
		reply_usage(r, "target name '%s': use 1-%d of A-Z a-z 0-9 _ . -", name, NAME_MAX_LEN);
		return;
	}
	if (kind_parse(argv[1], &kind)) {
		reply_usage(r, "unknown kind '%s' (anon, anon-shared, shmem, file-clean, file-dirty, "
			       "hugetlb, thp, mlocked)", argv[1]);
		return;
	}
	uint64_t max = (kind == KIND_HUGETLB || kind == KIND_THP) ? MAX_HUGE_PAGES : MAX_BASE_PAGES;
	if (parse_range(argv[2], 1, max, &count)) {
		reply_usage(r, "COUNT '%s' must be 1..%llu for %s", argv[2], (unsigned long long)max, argv[1]);
		return;
	}
	if (kind_is_file(kind) && (!path || path[0] != '/')) {
		reply_usage(r, "%s needs an absolute PATH for its file", argv[1]);
		return;
	}
	if (!kind_is_file(kind) && path) {
		reply_usage(r, "%s takes no PATH", argv[1]);
		return;
	}

	struct target *t = target_create(r, name, kind, (size_t)count, path);
	if (t && target_report(r, "target", t) != 0)
		target_destroy(t);
}

void cmd_pages(struct reply *r, int argc, char **argv)
{
	(void)argc;
	struct target *t = target_lookup(r, argv[0]);
	if (t)
		target_report(r, "target", t);
}

void cmd_release(struct reply *r, int argc, char **argv)
{
	(void)argc;
	struct target *t = target_lookup(r, argv[0]);
	if (t)
		target_destroy(t);
}
