/* fsync and msync: where a lost dirty page-cache page surfaces as EIO. Never cached: the
 * first call after the loss reports EIO, a second one usually 0, and the harness checks
 * both. */
#include <errno.h>
#include <sys/mman.h>
#include <unistd.h>

#include "commands.h"
#include "targets.h"

struct sync_job {
	const struct target *t;
	int msync;
	int ret;
	int err;
};

static void do_sync(void *arg)
{
	struct sync_job *job = arg;
	job->ret = job->msync ? msync(job->t->addr, job->t->length, MS_SYNC) : fsync(job->t->fd);
	job->err = job->ret < 0 ? errno : 0;
}

static void sync_target(struct reply *r, const char *name, int use_msync)
{
	struct sigbus_info info;
	const char *call = use_msync ? "msync(MS_SYNC)" : "fsync";

	struct target *t = target_lookup(r, name);
	if (!t)
		return;
	if (!use_msync && t->fd < 0) {
		reply_fail(r, 0, "fsync: target '%s' (%s) has no file descriptor", t->name, kind_name(t->kind));
		return;
	}
	struct sync_job job = { .t = t, .msync = use_msync };
	if (sigbus_guard(do_sync, &job, &info)) {
		reply_sigbus(&r->body, "sigbus", &info);
		long long raw = info.have_syscall_ret ? info.syscall_ret : -EINTR;
		reply_syscall(r, raw < 0 ? -1 : raw, raw < 0 ? (int)-raw : 0);
		reply_fail(r, 0, "SIGBUS during %s", call);
		return;
	}
	reply_sigbus(&r->body, "sigbus", NULL);
	reply_syscall(r, job.ret, job.err);
	if (job.ret != 0)
		reply_fail(r, job.err, "%s of '%s' failed", call, t->name);
}

void cmd_fsync(struct reply *r, int argc, char **argv)
{
	(void)argc;
	sync_target(r, argv[0], 0);
}

void cmd_msync(struct reply *r, int argc, char **argv)
{
	(void)argc;
	sync_target(r, argv[0], 1);
}
