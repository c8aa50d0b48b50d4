#include "json.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void json_init(struct json *j)
{
	memset(j, 0, sizeof(*j));
}

void json_free(struct json *j)
{
	free(j->buf);
	json_init(j);
}

static void put_raw(struct json *j, const char *s, size_t n)
{
	if (j->overflow)
		return;
	/* +2 keeps room for the newline json_write_line adds and a terminating NUL. */
	size_t need = j->len + n + 2;
	if (need > JSON_LINE_MAX) {
		j->overflow = 1;
		return;
	}
	if (need > j->cap) {
		size_t cap = j->cap ? j->cap : 1024;
		while (cap < need)
			cap *= 2;
		char *grown = realloc(j->buf, cap);
		if (!grown) {
			j->overflow = 1;
			return;
		}
		j->buf = grown;
		j->cap = cap;
	}
	memcpy(j->buf + j->len, s, n);
	j->len += n;
	j->buf[j->len] = '\0';
}

static void put(struct json *j, const char *s)
{
	put_raw(j, s, strlen(s));
}

static void put_string(struct json *j, const char *s)
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
			/* Control bytes and non-UTF-8 input (a path, a kernel string) must not break
			 * the host's JSON.parse; bytes >= 0x80 are passed on as they are. */
			if (*p < 0x20 || *p == 0x7f) {
				snprintf(esc, sizeof(esc), "\\u%04x", *p);
				put(j, esc);
			} else {
				put_raw(j, (const char *)p, 1);
			}
		}
	}
	put(j, "\"");
}

static void separator(struct json *j)
{
	if (j->need_comma)
		put(j, ",");
	j->need_comma = 1;
}

static void put_key(struct json *j, const char *key)
{
	separator(j);
	put_string(j, key);
	put(j, ":");
}

void json_open(struct json *j)
{
	put(j, "{");
	j->need_comma = 0;
}

void json_close(struct json *j)
{
	put(j, "}");
	j->need_comma = 1;
}

void json_str(struct json *j, const char *key, const char *value)
{
	put_key(j, key);
	put_string(j, value);
}

void json_int(struct json *j, const char *key, long long value)
{
	char num[32];
	snprintf(num, sizeof(num), "%lld", value);
	put_key(j, key);
	put(j, num);
}

static void put_hex(struct json *j, uint64_t value)
{
	char num[32];
	snprintf(num, sizeof(num), "\"0x%" PRIx64 "\"", value);
	put(j, num);
}

void json_hex(struct json *j, const char *key, uint64_t value)
{
	put_key(j, key);
	put_hex(j, value);
}

void json_bool(struct json *j, const char *key, int value)
{
	put_key(j, key);
	put(j, value ? "true" : "false");
}

void json_null(struct json *j, const char *key)
{
	put_key(j, key);
	put(j, "null");
}

void json_object_begin(struct json *j, const char *key)
{
	put_key(j, key);
	json_open(j);
}

void json_object_end(struct json *j)
{
	json_close(j);
}

void json_array_begin(struct json *j, const char *key)
{
	put_key(j, key);
	put(j, "[");
	j->need_comma = 0;
}

void json_array_end(struct json *j)
{
	put(j, "]");
	j->need_comma = 1;
}

void json_elem_str(struct json *j, const char *value)
{
	separator(j);
	put_string(j, value);
}

void json_elem_hex(struct json *j, uint64_t value)
{
	separator(j);
	put_hex(j, value);
}

void json_elem_object_begin(struct json *j)
{
	separator(j);
	json_open(j);
}

void json_splice(struct json *j, const struct json *members)
{
	if (members->overflow) {
		j->overflow = 1;
		return;
	}
	if (members->len == 0)
		return;
	separator(j);
	put_raw(j, members->buf, members->len);
}

int json_write_line(struct json *j)
{
	if (j->overflow || !j->buf)
		return -1;
	/* put_raw always leaves room for this newline. */
	j->buf[j->len] = '\n';
	size_t total = j->len + 1, off = 0;
	int rc = 0;
	while (off < total) {
		ssize_t n = write(STDOUT_FILENO, j->buf + off, total - off);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			rc = -1;
			break;
		}
		off += (size_t)n;
	}
	j->buf[j->len] = '\0';
	return rc;
}
