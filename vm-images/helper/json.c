#include "json.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static void put_raw(struct json_line *j, const char *s, size_t n)
{
	if (j->overflow || j->len + n >= sizeof(j->buf)) {
		j->overflow = 1;
		return;
	}
	memcpy(j->buf + j->len, s, n);
	j->len += n;
}

static void put(struct json_line *j, const char *s)
{
	put_raw(j, s, strlen(s));
}

static void put_string(struct json_line *j, const char *s)
{
	put(j, "\"");
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		char esc[8];
		switch (*p) {
		case '"': put(j, "\\\""); break;
		case '\\': put(j, "\\\\"); break;
		case '\n': put(j, "\\n"); break;
		case '\r': put(j, "\\r"); break;
		case '\t': put(j, "\\t"); break;
		default:
			if (*p < 0x20) {
				snprintf(esc, sizeof(esc), "\\u%04x", *p);
				put(j, esc);
			} else {
				put_raw(j, (const char *)p, 1);
			}
		}
	}
	put(j, "\"");
}

static void put_key(struct json_line *j, const char *key)
{
	if (j->need_comma)
		put(j, ",");
	put_string(j, key);
	put(j, ":");
	j->need_comma = 1;
}

void json_begin(struct json_line *j, const char *event)
{
	j->len = 0;
	j->need_comma = 0;
	j->overflow = 0;
	put(j, "{");
	json_str(j, "event", event);
}

void json_str(struct json_line *j, const char *key, const char *value)
{
	put_key(j, key);
	put_string(j, value);
}

void json_int(struct json_line *j, const char *key, long long value)
{
	char num[32];
	snprintf(num, sizeof(num), "%lld", value);
	put_key(j, key);
	put(j, num);
}

void json_uint(struct json_line *j, const char *key, unsigned long long value)
{
	char num[32];
	snprintf(num, sizeof(num), "%llu", value);
	put_key(j, key);
	put(j, num);
}

void json_hex(struct json_line *j, const char *key, uint64_t value)
{
	char num[32];
	snprintf(num, sizeof(num), "\"0x%" PRIx64 "\"", value);
	put_key(j, key);
	put(j, num);
}

void json_bool(struct json_line *j, const char *key, int value)
{
	put_key(j, key);
	put(j, value ? "true" : "false");
}

void json_null(struct json_line *j, const char *key)
{
	put_key(j, key);
	put(j, "null");
}

void json_array_begin(struct json_line *j, const char *key)
{
	put_key(j, key);
	put(j, "[");
	j->need_comma = 0;
}

void json_array_str(struct json_line *j, const char *value)
{
	if (j->need_comma)
		put(j, ",");
	put_string(j, value);
	j->need_comma = 1;
}

void json_array_end(struct json_line *j)
{
	put(j, "]");
	j->need_comma = 1;
}

int json_emit(struct json_line *j)
{
	put(j, "}\n");
	if (j->overflow) {
		static const char msg[] =
			"{\"event\":\"error\",\"message\":\"output line too long\"}\n";
		(void)!write(STDOUT_FILENO, msg, sizeof(msg) - 1);
		return -1;
	}
	size_t off = 0;
	while (off < j->len) {
		ssize_t n = write(STDOUT_FILENO, j->buf + off, j->len - off);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		off += (size_t)n;
	}
	return 0;
}

void json_error(const char *command, int err, const char *fmt, ...)
{
	struct json_line j;
	char message[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(message, sizeof(message), fmt, ap);
	va_end(ap);

	json_begin(&j, "error");
	if (command)
		json_str(&j, "command", command);
	json_str(&j, "message", message);
	if (err) {
		json_int(&j, "errno", err);
		json_str(&j, "strerror", strerror(err));
	}
	json_emit(&j);
}
