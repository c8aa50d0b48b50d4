/* alloc, pages, release: the life of a target. */
#include <stddef.h>
#include <string.h>

#include "commands.h"
#include "targets.h"

/*
 * The words after COUNT: at most one absolute PATH (file kinds), then hugetlb's options:
 * `size=2M|1G`, `shared`, `nofault`. 0, or -1 after reply_usage.
 */
static int parse_alloc_words(struct reply *r, enum target_kind kind, int argc, char **argv, const char **path,
			     struct target_options *opts)
{
	for (int i = 0; i < argc; i++) {
		const char *word = argv[i];
		if (i == 0 && kind_is_file(kind) && word[0] != '/') {
			reply_usage(r, "%s needs an absolute PATH for its file, not '%s'", kind_name(kind), word);
			return -1;
		}
		if (word[0] == '/' && i == 0) {
			*path = word;
			continue;
		}
		if (word[0] == '/') {
			reply_usage(r, "'%s': PATH comes right after COUNT, once", word);
			return -1;
		}
		if (kind != KIND_HUGETLB) {
			reply_usage(r, "%s takes no option '%s' (size=, shared and nofault are hugetlb's)",
				    kind_name(kind), word);
			return -1;
		}
		if (strcmp(word, "size=2M") == 0) {
			opts->huge_size = HUGE_2M;
		} else if (strcmp(word, "size=1G") == 0) {
			opts->huge_size = HUGE_1G;
		} else if (strcmp(word, "shared") == 0) {
			opts->shared = 1;
		} else if (strcmp(word, "nofault") == 0) {
			opts->nofault = 1;
		} else {
			reply_usage(r, "unknown alloc option '%s' (size=2M, size=1G, shared, nofault)", word);
			return -1;
		}
	}
	return 0;
}

void cmd_alloc(struct reply *r, int argc, char **argv)
{
	const char *name = argv[0], *path = NULL;
	struct target_options opts = { .huge_size = HUGE_2M };
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
	if (parse_alloc_words(r, kind, argc - 3, argv + 3, &path, &opts))
		return;
	if (kind_is_file(kind) && !path) {
		reply_usage(r, "%s needs an absolute PATH for its file", argv[1]);
		return;
	}
	if (!kind_is_file(kind) && path) {
		reply_usage(r, "%s takes no PATH", argv[1]);
		return;
	}

	struct target *t = target_create(r, name, kind, (size_t)count, path, &opts);
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
