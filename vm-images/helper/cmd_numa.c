/* move-pages, page-nodes: where a target's pages live among NUMA nodes, and moving them.
 * The image has no numactl/migratepages; move_pages(2) is called through syscall(2) because
 * its glibc wrapper lives in libnuma, which a static helper does not link. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "commands.h"
#include "targets.h"

#ifndef MPOL_MF_MOVE
#define MPOL_MF_MOVE (1 << 1)
#endif
/* The kernel refuses node numbers at or above MAX_NUMNODES; x86_64 Debian builds have 1024. */
#define MAX_NODE 1023

/* One move_pages(2) over every page of t: nodes NULL queries, else moves each page to *node.
 * status[i] is the page's node afterwards, or a negative errno (-ENOENT: not present). */
static long move_target(const struct target *t, const int *node, int *status)
{
	void **pages = calloc(t->count, sizeof(void *));
	int *nodes = node ? calloc(t->count, sizeof(int)) : NULL;
	long ret;

	if (!pages || (node && !nodes)) {
		free(pages);
		free(nodes);
		errno = ENOMEM;
		return -1;
	}
	for (size_t i = 0; i < t->count; i++) {
		pages[i] = t->addr + i * t->page_size;
		if (nodes)
			nodes[i] = *node;
	}
	ret = syscall(SYS_move_pages, 0, (unsigned long)t->count, pages, nodes, status, node ? MPOL_MF_MOVE : 0);
	free(pages);
	free(nodes);
	return ret;
}

static void json_nodes(struct json *j, const char *key, const int *status, size_t count)
{
	json_array_begin(j, key);
	for (size_t i = 0; i < count; i++) {
		json_elem_object_begin(j);
		json_int(j, "index", (long long)i);
		json_int(j, "node", status[i]);
		json_object_end(j);
	}
	json_array_end(j);
}

/* page-nodes NAME: `nodes` [{index, node}] (node < 0: -errno, e.g. -2 ENOENT not present). */
void cmd_page_nodes(struct reply *r, int argc, char **argv)
{
	(void)argc;
	struct target *t = target_lookup(r, argv[0]);
	if (!t)
		return;
	int *status = calloc(t->count, sizeof(int));
	if (!status) {
		reply_fail(r, ENOMEM, "out of memory");
		return;
	}
	if (move_target(t, NULL, status) < 0)
		reply_fail(r, errno, "move_pages (query) failed");
	else
		json_nodes(&r->body, "nodes", status, t->count);
	free(status);
}

/* move-pages NAME NODE: `ret`/`errno` of move_pages(2), `before` and `nodes` (after), each
 * [{index, node}], and `target` re-read (the PFNs change when a page moves). A page already
 * on NODE stays where it is (status NODE, ret 0). ret > 0 counts pages not moved. */
void cmd_move_pages(struct reply *r, int argc, char **argv)
{
	uint64_t node;
	(void)argc;

	struct target *t = target_lookup(r, argv[0]);
	if (!t)
		return;
	if (parse_range(argv[1], 0, MAX_NODE, &node)) {
		reply_usage(r, "NODE '%s' must be 0..%d", argv[1], MAX_NODE);
		return;
	}
	int *before = calloc(t->count, sizeof(int));
	int *after = calloc(t->count, sizeof(int));
	if (!before || !after) {
		free(before);
		free(after);
		reply_fail(r, ENOMEM, "out of memory");
		return;
	}
	int wanted = (int)node;
	if (move_target(t, NULL, before) < 0) {
		reply_syscall(r, -1, errno);
		reply_fail(r, errno, "move_pages (query) failed");
	} else {
		long ret = move_target(t, &wanted, after);
		reply_syscall(r, ret, ret < 0 ? errno : 0);
		if (ret != 0)
			reply_fail(r, ret < 0 ? errno : 0, ret < 0 ? "move_pages to node %d failed" : "move_pages left pages off node %d", wanted);
		json_nodes(&r->body, "before", before, t->count);
		/* The status array holds each page's node after the move, or why it did not move. */
		if (ret >= 0)
			json_nodes(&r->body, "nodes", after, t->count);
		target_report(r, "target", t);
	}
	free(before);
	free(after);
}
