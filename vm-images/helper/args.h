/* Argument parsing shared by the commands: strict, so a typo is an error, not a zero. */
#ifndef MH_ARGS_H
#define MH_ARGS_H

#include <stdint.h>

/* Decimal, or hex with a 0x prefix (no octal: "010" is ten). 0 or -1. */
int parse_u64(const char *text, uint64_t *value);

/* parse_u64 plus min <= value <= max. 0 or -1. */
int parse_range(const char *text, uint64_t min, uint64_t max, uint64_t *value);

/* Target names: 1-63 of [A-Za-z0-9_.-], so they are safe in JSON, file names and logs. */
#define NAME_MAX_LEN 63
int valid_name(const char *text);

#endif
