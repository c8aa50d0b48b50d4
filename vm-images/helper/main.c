/*
 * memharness-helper: the guest-side companion of the harness (PROTOCOL.md). Statically
 * linked so it runs on every guest kernel/userland; speaks one JSON object per stdout line.
 * One-shot: `memharness-helper VERB ARGS...` prints one reply (id 0) and exits 0 when ok,
 * 1 when not, 2 on a usage error. `memharness-helper serve` runs a session.
 */
#include <stdio.h>
#include <string.h>

#include "commands.h"
#include "events.h"
#include "sigbus.h"
#include "targets.h"

const struct command commands[] = {
	{ "version", "version", 0, 0, 0, cmd_version },
	{ "alloc", "alloc NAME KIND COUNT [PATH] [size=2M|size=1G] [shared] [nofault]", 3, 7, 0, cmd_alloc },
	{ "pages", "pages NAME", 1, 1, 0, cmd_pages },
	{ "fill", "fill NAME SEED", 2, 2, 0, cmd_fill },
	{ "verify", "verify NAME SEED", 2, 2, 0, cmd_verify },
	{ "access", "access NAME INDEX read|write [unguarded]", 3, 4, 0, cmd_access },
	{ "spin", "spin NAME INDEX MILLISECONDS CPU", 4, 4, 0, cmd_spin },
	{ "madvise", "madvise NAME INDEX hwpoison|soft-offline", 3, 3, 1, cmd_madvise },
	{ "fsync", "fsync NAME", 1, 1, 1, cmd_fsync },
	{ "msync", "msync NAME", 1, 1, 1, cmd_msync },
	{ "mce-kill", "mce-kill early|late|default", 1, 1, 0, cmd_mce_kill },
	{ "free-pages", "free-pages COUNT [MIN_PFN [MAX_PFN]]", 1, 3, 0, cmd_free_pages },
	{ "free-hugepages", "free-hugepages COUNT [SIZE_KB]", 1, 2, 0, cmd_free_hugepages },
	{ "slab-pages", "slab-pages COUNT [MIN_PFN]", 1, 2, 0, cmd_slab_pages },
	{ "kpageflags", "kpageflags PFN...", 1, 512, 0, cmd_kpageflags },
	{ "page-nodes", "page-nodes NAME", 1, 1, 0, cmd_page_nodes },
	{ "move-pages", "move-pages NAME NODE", 2, 2, 1, cmd_move_pages },
	{ "write-file", "write-file PATH VALUE", 2, 2, 1, cmd_write_file },
	{ "release", "release NAME", 1, 1, 0, cmd_release },
	{ "quit", "quit", 0, 0, 0, cmd_quit },
	{ "pfn", "pfn VADDR [PID] | pfn selftest", 1, 2, 0, cmd_pfn },
	{ "selftest", "selftest", 0, 0, 0, cmd_selftest },
};
const unsigned int command_count = sizeof(commands) / sizeof(commands[0]);

const struct command *command_find(const char *name)
{
	for (unsigned int i = 0; i < command_count; i++) {
		if (strcmp(name, commands[i].name) == 0)
			return &commands[i];
	}
	return NULL;
}

void command_run(const struct command *c, struct reply *r, int argc, char **argv)
{
	if (argc < c->min_args || argc > c->max_args)
		reply_usage(r, "usage: %s", c->usage);
	else
		c->run(r, argc, argv);
	/* The reply schema of a system-call verb needs "ret" even when the call never ran. */
	if (c->syscall_reply && !r->has_syscall)
		reply_syscall(r, -1, 0);
}

static void print_usage(void)
{
	fprintf(stderr, "usage:\n  memharness-helper serve\n");
	for (unsigned int i = 0; i < command_count; i++)
		fprintf(stderr, "  memharness-helper %s\n", commands[i].usage);
}

int main(int argc, char **argv)
{
	struct reply r;

	/* Output goes through json_write_line's write(2); keep stdio buffering out of it. */
	setvbuf(stdout, NULL, _IONBF, 0);
	reply_init(&r, 0);

	int rc = sigbus_install();
	if (rc) {
		reply_fail(&r, -rc, "cannot install the SIGBUS handler");
		reply_emit(&r);
		return EXIT_FAILED;
	}
	if (argc >= 2 && strcmp(argv[1], "serve") == 0) {
		if (argc == 2)
			return serve();
		reply_usage(&r, "serve takes no arguments");
	} else if (argc < 2) {
		reply_usage(&r, "missing verb");
	} else {
		const struct command *c = command_find(argv[1]);
		if (c)
			command_run(c, &r, argc - 2, argv + 2);
		else
			reply_usage(&r, "unknown verb '%s'", argv[1]);
	}
	events_flush();
	reply_emit(&r);
	if (r.status == REPLY_USAGE)
		print_usage();
	int status = reply_exit_status(&r);
	reply_free(&r);
	target_destroy_all();
	return status;
}
