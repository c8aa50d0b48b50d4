/*
 * Command groups of memharness-helper. Each group lives in its own cmd_*.c file and is
 * listed once in main.c's table; a command gets argv after its own name and returns the
 * process exit status (0 ok, 1 failed, 2 usage).
 */
#ifndef MH_COMMANDS_H
#define MH_COMMANDS_H

#define EXIT_FAILED 1
#define EXIT_USAGE 2

struct command {
	const char *name;
	const char *usage;
	int (*run)(int argc, char **argv);
};

extern const struct command commands[];
extern const unsigned int command_count;

int cmd_version(int argc, char **argv);
int cmd_pfn(int argc, char **argv);
int cmd_selftest(int argc, char **argv);

#endif
