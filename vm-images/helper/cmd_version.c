#include "commands.h"
#include "json.h"
#include "version.h"

int cmd_version(int argc, char **argv)
{
	struct json_line j;
	(void)argv;

	if (argc != 0) {
		json_error("version", 0, "version takes no arguments");
		return EXIT_USAGE;
	}
	json_begin(&j, "version");
	json_str(&j, "name", HELPER_NAME);
	json_str(&j, "version", HELPER_VERSION);
	json_int(&j, "protocol", HELPER_PROTOCOL);
	json_array_begin(&j, "commands");
	for (unsigned int i = 0; i < command_count; i++)
		json_array_str(&j, commands[i].name);
	json_array_end(&j);
	return json_emit(&j) == 0 ? 0 : EXIT_FAILED;
}
