/*
 * The one reply line every request gets:
 *   {"id":N,"ok":true|false[,"error":"...","errno":N,"errnoName":"E..."],<members>}
 * A command adds its members to `body` and marks failure with reply_fail/reply_usage; the
 * caller (serve loop or one-shot main) emits the line and picks the exit status.
 */
#ifndef MH_REPLY_H
#define MH_REPLY_H

#include "json.h"
#include "sigbus.h"

enum reply_status { REPLY_OK, REPLY_FAILED, REPLY_USAGE };

struct reply {
	long long id;
	enum reply_status status;
	int err; /* errno of the failed system call; 0 = none */
	char error[768];
	struct json body;
	/* Outcome of the system call the request was about (madvise, fsync, write...). */
	int has_syscall;
	long long syscall_ret;
	int syscall_err;
	int quit; /* the session ends after this reply */
};

void reply_init(struct reply *r, long long id);
void reply_free(struct reply *r);

/* The request failed; err is the errno of the system call that failed (0: none). The first
 * failure wins: it is the cause, later ones are consequences. */
void reply_fail(struct reply *r, int err, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* The request was malformed (one-shot mode exits 2). */
void reply_usage(struct reply *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* "sigbus": {code, codeName, addr, lsb} or null. */
void reply_sigbus(struct json *j, const char *key, const struct sigbus_info *info);

/* Records the outcome of the request's system call: the reply then carries "ret" and, when
 * ret < 0, "errno"/"errnoName" (which also become the errno of a failed reply). Verbs
 * whose schema needs "ret" call this even when they fail before the call (ret -1, err 0). */
void reply_syscall(struct reply *r, long long ret, int err);

/* Emits the line; one that cannot be emitted (too long) becomes a short failure reply. */
void reply_emit(struct reply *r);

/* Process exit status of a one-shot run: 0 ok, 1 failed, 2 usage. */
int reply_exit_status(const struct reply *r);

#endif
