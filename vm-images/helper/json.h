/*
 * One JSON object per output line. Each line is assembled in memory and written with a
 * single write(2) sequence, so lines never interleave with another writer's and the host
 * can parse stdout line by line.
 *
 * A writer holds either a whole object (json_open ... json_close) or, for reply bodies, a
 * bare list of "key":value members that the reply code splices into its own object.
 */
#ifndef MH_JSON_H
#define MH_JSON_H

#include <stddef.h>
#include <stdint.h>

/* The host drops lines over 1 MiB; stay well below so a long target still arrives. */
#define JSON_LINE_MAX (768 * 1024)

struct json {
	char *buf;
	size_t len;
	size_t cap;
	int need_comma;
	/* Set when the line outgrew JSON_LINE_MAX or memory ran out; the line is then unusable. */
	int overflow;
};

void json_init(struct json *j);
void json_free(struct json *j);

void json_open(struct json *j);
void json_close(struct json *j);

/* Members ("key": value). */
void json_str(struct json *j, const char *key, const char *value);
void json_int(struct json *j, const char *key, long long value);
/* 64-bit values that JavaScript numbers cannot hold exactly (addresses, PFNs, flag words)
 * are emitted as lowercase "0x..." strings. */
void json_hex(struct json *j, const char *key, uint64_t value);
void json_bool(struct json *j, const char *key, int value);
void json_null(struct json *j, const char *key);
void json_object_begin(struct json *j, const char *key);
void json_object_end(struct json *j);
void json_array_begin(struct json *j, const char *key);
void json_array_end(struct json *j);

/* Array elements. */
void json_elem_str(struct json *j, const char *value);
void json_elem_hex(struct json *j, uint64_t value);
void json_elem_object_begin(struct json *j);

/* Appends the members held by `members` (a bare member list) to j's current object. */
void json_splice(struct json *j, const struct json *members);

/* Writes j's text plus a newline to stdout. Returns 0, or -1 when it could not. */
int json_write_line(struct json *j);

#endif
