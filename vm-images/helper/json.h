/*
 * One JSON object per output line. Each line is assembled in a buffer and written with a
 * single write(2), so lines from concurrent helpers (or the kernel's console output) never
 * interleave inside a line and the host can parse stdout line by line.
 */
#ifndef MH_JSON_H
#define MH_JSON_H

#include <stddef.h>
#include <stdint.h>

#define JSON_LINE_MAX 8192

struct json_line {
	char buf[JSON_LINE_MAX];
	size_t len;
	int need_comma;
	int overflow;
};

void json_begin(struct json_line *j, const char *event);
void json_str(struct json_line *j, const char *key, const char *value);
void json_int(struct json_line *j, const char *key, long long value);
void json_uint(struct json_line *j, const char *key, unsigned long long value);
/* 64-bit values that JavaScript numbers cannot hold exactly (addresses, PFNs, flag words)
 * are emitted as "0x..." strings. */
void json_hex(struct json_line *j, const char *key, uint64_t value);
void json_bool(struct json_line *j, const char *key, int value);
void json_null(struct json_line *j, const char *key);
void json_array_begin(struct json_line *j, const char *key);
void json_array_str(struct json_line *j, const char *value);
void json_array_end(struct json_line *j);
/* Closes the object and writes the line to stdout. Returns 0, or -1 when the line did not
 * fit or could not be written. */
int json_emit(struct json_line *j);

/* {"event":"error","command":...,"message":...,"errno":...}; err 0 omits errno. */
void json_error(const char *command, int err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#endif
