/*
 * memharness-helper: the guest-side companion of the harness. Statically linked so it runs
 * on every guest kernel/userland; speaks one JSON object per stdout line.
 */
#include <stdio.h>
#include <string.h>

#include "commands.h"
#include "json.h"

const struct command commands[] = {
	{ "version", "version", cmd_version },
	{ "pfn", "pfn VADDR [PID] | pfn selftest", cmd_pfn },
	{ "selftest", "selftest", cmd_selftest },
};
const unsigned int command_count = sizeof(commands) / sizeof(commands[0]);

static int usage(const char *problem)
{
	json_error(NULL, 0, "%s", problem);
	fprintf(stderr, "usage:\n");
	for (unsigned int i = 0; i < command_count; i++)
		fprintf(stderr, "  memharness-helper %s\n", commands[i].usage);
	return EXIT_USAGE;
}

int main(int argc, char **argv)
{
	/* Line-at-a-time output is done by json_emit's write(2); keep stdio out of the way. */
	setvbuf(stdout, NULL, _IONBF, 0);

	if (argc < 2)
		return usage("missing command");
	for (unsigned int i = 0; i < command_count; i++) {
		if (strcmp(argv[1], commands[i].name) == 0)
			return commands[i].run(argc - 2, argv + 2);
	}
	return usage("unknown command");
}
