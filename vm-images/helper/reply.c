#include "reply.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "commands.h"
#include "names.h"

void reply_init(struct reply *r, long long id)
{
	memset(r, 0, sizeof(*r));
	r->id = id;
	r->status = REPLY_OK;
	json_init(&r->body);
}

void reply_free(struct reply *r)
{
	json_free(&r->body);
}

static void set_error(struct reply *r, enum reply_status status, int err, const char *fmt, va_list ap)
{
	if (r->status != REPLY_OK)
		return;
	r->status = status;
	r->err = err;
	vsnprintf(r->error, sizeof(r->error), fmt, ap);
}

void reply_fail(struct reply *r, int err, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	set_error(r, REPLY_FAILED, err, fmt, ap);
	va_end(ap);
}

void reply_usage(struct reply *r, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	set_error(r, REPLY_USAGE, 0, fmt, ap);
	va_end(ap);
}

void reply_sigbus(struct json *j, const char *key, const struct sigbus_info *info)
{
	char buf[32];
	if (!info) {
		json_null(j, key);
		return;
	}
	json_object_begin(j, key);
	json_int(j, "code", info->code);
	json_str(j, "codeName", sigbus_code_name(info->code, buf, sizeof(buf)));
	json_hex(j, "addr", info->addr);
	json_int(j, "lsb", info->lsb);
	json_object_end(j);
}

void reply_syscall(struct reply *r, long long ret, int err)
{
	r->has_syscall = 1;
	r->syscall_ret = ret;
	r->syscall_err = ret < 0 ? err : 0;
}

static void build(struct json *line, const struct reply *r, const struct json *body)
{
	char buf[32];
	int err = r->has_syscall && r->syscall_err ? r->syscall_err :
		  r->status != REPLY_OK ? r->err : 0;

	json_open(line);
	json_int(line, "id", r->id);
	json_bool(line, "ok", r->status == REPLY_OK);
	if (r->status != REPLY_OK)
		json_str(line, "error", r->error);
	if (r->has_syscall)
		json_int(line, "ret", r->syscall_ret);
	if (err) {
		json_int(line, "errno", err);
		json_str(line, "errnoName", errno_name(err, buf, sizeof(buf)));
	}
	if (body)
		json_splice(line, body);
	json_close(line);
}

void reply_emit(struct reply *r)
{
	struct json line;
	json_init(&line);
	build(&line, r, &r->body);
	if (json_write_line(&line) != 0 && line.overflow) {
		json_free(&line);
		json_init(&line);
		r->status = REPLY_OK; /* let reply_fail below take effect */
		reply_fail(r, 0, "reply longer than %d bytes; ask for fewer pages", JSON_LINE_MAX);
		build(&line, r, NULL);
		json_write_line(&line);
	}
	json_free(&line);
}

int reply_exit_status(const struct reply *r)
{
	switch (r->status) {
	case REPLY_OK: return 0;
	case REPLY_USAGE: return EXIT_USAGE;
	default: return EXIT_FAILED;
	}
}
