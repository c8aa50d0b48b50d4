#include "events.h"

#include <unistd.h>

#include "json.h"
#include "names.h"
#include "sigbus.h"
#include "targets.h"
#include "version.h"

void event_ready(void)
{
	struct json j;
	json_init(&j);
	json_open(&j);
	json_str(&j, "event", "ready");
	json_int(&j, "pid", (long long)getpid());
	json_str(&j, "version", HELPER_VERSION);
	json_int(&j, "protocol", HELPER_PROTOCOL);
	json_close(&j);
	json_write_line(&j);
	json_free(&j);
}

void events_flush(void)
{
	struct sigbus_info records[16];
	unsigned int dropped;
	char name[32];
	int n = sigbus_take_async(records, 16, &dropped);

	for (int i = 0; i < n; i++) {
		const struct sigbus_info *s = &records[i];
		struct json j;
		size_t offset;
		json_init(&j);
		json_open(&j);
		json_str(&j, "event", "sigbus");
		json_bool(&j, "async", 1);
		json_int(&j, "code", s->code);
		json_str(&j, "codeName", sigbus_code_name(s->code, name, sizeof(name)));
		json_hex(&j, "addr", s->addr);
		json_int(&j, "lsb", s->lsb);
		const struct target *t = s->addr ? target_containing(s->addr, &offset) : NULL;
		if (t) {
			json_str(&j, "target", t->name);
			json_int(&j, "index", (long long)(offset / t->page_size));
			json_int(&j, "offset", (long long)offset);
		}
		json_close(&j);
		json_write_line(&j);
		json_free(&j);
	}
	if (dropped) {
		/* Ordinary signals do not queue, so the kernel may merge some before we see them;
		 * these are the ones that overflowed our own record buffer. */
		struct json j;
		json_init(&j);
		json_open(&j);
		json_str(&j, "event", "sigbus-dropped");
		json_bool(&j, "async", 1);
		json_int(&j, "count", dropped);
		json_close(&j);
		json_write_line(&j);
		json_free(&j);
	}
}

void event_spinning(long long id)
{
	struct json j;
	json_init(&j);
	json_open(&j);
	json_str(&j, "event", "spinning");
	json_int(&j, "id", id);
	json_close(&j);
	json_write_line(&j);
	json_free(&j);
}

void event_error(const char *message)
{
	struct json j;
	json_init(&j);
	json_open(&j);
	json_str(&j, "event", "error");
	json_str(&j, "message", message);
	json_close(&j);
	json_write_line(&j);
	json_free(&j);
}
