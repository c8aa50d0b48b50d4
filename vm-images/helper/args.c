#include "args.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

int parse_u64(const char *text, uint64_t *value)
{
	const char *digits = text;
	int base = 10;
	char *end;

	if (text[0] == '0' && (text[1] == 'x' || text[1] == 'X')) {
		digits = text + 2;
		base = 16;
	}
	/* strtoull would accept leading blanks and a sign (and wrap "-1" to 2^64-1). */
	if (!((*digits >= '0' && *digits <= '9') ||
	      (base == 16 && ((*digits >= 'a' && *digits <= 'f') || (*digits >= 'A' && *digits <= 'F')))))
		return -1;
	errno = 0;
	unsigned long long v = strtoull(digits, &end, base);
	if (errno || *end != '\0')
		return -1;
	*value = (uint64_t)v;
	return 0;
}

int parse_range(const char *text, uint64_t min, uint64_t max, uint64_t *value)
{
	uint64_t v;
	if (parse_u64(text, &v) || v < min || v > max)
		return -1;
	*value = v;
	return 0;
}

int valid_name(const char *text)
{
	size_t n = strlen(text);
	if (n == 0 || n > NAME_MAX_LEN)
		return 0;
	for (size_t i = 0; i < n; i++) {
		char c = text[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '_' || c == '.' || c == '-'))
			return 0;
	}
	return 1;
}
