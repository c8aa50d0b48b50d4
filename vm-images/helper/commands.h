/*
 * Verbs of memharness-helper. Each group lives in its own cmd_*.c file and is listed once
 * in main.c's table. A verb gets the words after its name and answers through the reply
 * (reply.h); the same table serves one-shot runs and `serve` sessions.
 */
#ifndef MH_COMMANDS_H
#define MH_COMMANDS_H

#include "reply.h"

#define EXIT_FAILED 1
#define EXIT_USAGE 2

struct command {
	const char *name;
	const char *usage;
	/* Words allowed after the verb; checked before run so verbs need not. */
	int min_args;
	int max_args;
	/* Replies always carry "ret" (madvise, fsync, msync, write-file). */
	int syscall_reply;
	void (*run)(struct reply *r, int argc, char **argv);
};

/* Set while a `serve` session runs (one-shot runs hold no targets between verbs). */
extern int helper_serving;

extern const struct command commands[];
extern const unsigned int command_count;

const struct command *command_find(const char *name);
/* Checks the word count and runs the verb. */
void command_run(const struct command *c, struct reply *r, int argc, char **argv);

/* cmd_version.c */
void cmd_version(struct reply *r, int argc, char **argv);
/* cmd_pfn.c */
void cmd_pfn(struct reply *r, int argc, char **argv);
void cmd_selftest(struct reply *r, int argc, char **argv);
/* cmd_target.c */
void cmd_alloc(struct reply *r, int argc, char **argv);
void cmd_pages(struct reply *r, int argc, char **argv);
void cmd_release(struct reply *r, int argc, char **argv);
/* cmd_memory.c */
void cmd_fill(struct reply *r, int argc, char **argv);
void cmd_verify(struct reply *r, int argc, char **argv);
void cmd_access(struct reply *r, int argc, char **argv);
void cmd_spin(struct reply *r, int argc, char **argv);
/* cmd_inject.c */
void cmd_madvise(struct reply *r, int argc, char **argv);
void cmd_mce_kill(struct reply *r, int argc, char **argv);
/* cmd_sync.c */
void cmd_fsync(struct reply *r, int argc, char **argv);
void cmd_msync(struct reply *r, int argc, char **argv);
/* cmd_phys.c */
void cmd_free_pages(struct reply *r, int argc, char **argv);
void cmd_free_hugepages(struct reply *r, int argc, char **argv);
void cmd_slab_pages(struct reply *r, int argc, char **argv);
void cmd_kpageflags(struct reply *r, int argc, char **argv);
/* cmd_numa.c */
void cmd_page_nodes(struct reply *r, int argc, char **argv);
void cmd_move_pages(struct reply *r, int argc, char **argv);
/* cmd_file.c */
void cmd_write_file(struct reply *r, int argc, char **argv);
/* serve.c */
void cmd_quit(struct reply *r, int argc, char **argv);
int serve(void);

#endif
