#include "commands.h"
#include "version.h"

void cmd_version(struct reply *r, int argc, char **argv)
{
	struct json *j = &r->body;
	(void)argc;
	(void)argv;

	/* "event" predates the id/ok replies; kept so older callers that match on it work. */
	json_str(j, "event", "version");
	json_str(j, "name", HELPER_NAME);
	json_str(j, "version", HELPER_VERSION);
	json_int(j, "protocol", HELPER_PROTOCOL);
	json_array_begin(j, "commands");
	for (unsigned int i = 0; i < command_count; i++)
		json_elem_str(j, commands[i].name);
	json_array_end(j);
}
