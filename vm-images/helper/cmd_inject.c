/* madvise and mce-kill: the injections a process can do to itself, and its kill policy. */
#define _GNU_SOURCE
#include <errno.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>

#include "commands.h"
#include "pages.h"
#include "targets.h"

#ifndef MADV_HWPOISON
#define MADV_HWPOISON 100
#endif
#ifndef MADV_SOFT_OFFLINE
#define MADV_SOFT_OFFLINE 101
#endif
#ifndef PR_MCE_KILL
#define PR_MCE_KILL 33
#define PR_MCE_KILL_CLEAR 0
#define PR_MCE_KILL_SET 1
#define PR_MCE_KILL_LATE 0
#define PR_MCE_KILL_EARLY 1
#define PR_MCE_KILL_DEFAULT 2
#define PR_MCE_KILL_GET 34
#endif

struct madvise_job {
	void *addr;
	size_t length;
	int advice;
	int ret;
	int err;
};

static void do_madvise(void *arg)
{
	struct madvise_job *job = arg;
	job->ret = madvise(job->addr, job->length, job->advice);
	job->err = job->ret < 0 ? errno : 0;
}

void cmd_madvise(struct reply *r, int argc, char **argv)
{
	struct sigbus_info info;
	const char *flag;
	size_t index;
	(void)argc;

	struct target *t = target_lookup_page(r, argv[0], argv[1], &index);
	if (!t)
		return;
	struct madvise_job job = { .addr = t->addr + index * t->page_size, .length = (size_t)page_size() };
	if (strcmp(argv[2], "hwpoison") == 0) {
		job.advice = MADV_HWPOISON;
		flag = "MADV_HWPOISON";
	} else if (strcmp(argv[2], "soft-offline") == 0) {
		job.advice = MADV_SOFT_OFFLINE;
		flag = "MADV_SOFT_OFFLINE";
	} else {
		reply_usage(r, "advice '%s': hwpoison or soft-offline", argv[2]);
		return;
	}

	/* One base page at the start of the target page (the head of a huge page): the kernel
	 * poisons or migrates the whole huge page or just that subpage as it sees fit. */
	long long ret;
	int err;
	if (sigbus_guard(do_madvise, &job, &info)) {
		/* 6.12: memory_failure() signals the caller before madvise returns. */
		reply_sigbus(&r->body, "sigbus", &info);
		json_bool(&r->body, "sigbusInCall", info.have_syscall_ret);
		ret = info.have_syscall_ret ? (info.syscall_ret < 0 ? -1 : info.syscall_ret) : 0;
		err = info.have_syscall_ret && info.syscall_ret < 0 ? (int)-info.syscall_ret : 0;
		if (!info.have_syscall_ret)
			json_bool(&r->body, "retUnknown", 1);
	} else {
		reply_sigbus(&r->body, "sigbus", NULL);
		ret = job.ret;
		err = job.err;
	}
	reply_syscall(r, ret, err);
	if (ret != 0)
		reply_fail(r, err, "madvise(%s) failed", flag);
}

static const char *policy_name(int policy)
{
	switch (policy) {
	case PR_MCE_KILL_EARLY: return "early";
	case PR_MCE_KILL_LATE: return "late";
	case PR_MCE_KILL_DEFAULT: return "default";
	default: return "unknown";
	}
}

void cmd_mce_kill(struct reply *r, int argc, char **argv)
{
	int rc;
	(void)argc;

	/* Per thread, and the helper has one: this is the process's policy. */
	if (strcmp(argv[0], "early") == 0)
		rc = prctl(PR_MCE_KILL, PR_MCE_KILL_SET, PR_MCE_KILL_EARLY, 0, 0);
	else if (strcmp(argv[0], "late") == 0)
		rc = prctl(PR_MCE_KILL, PR_MCE_KILL_SET, PR_MCE_KILL_LATE, 0, 0);
	else if (strcmp(argv[0], "default") == 0)
		rc = prctl(PR_MCE_KILL, PR_MCE_KILL_CLEAR, 0, 0, 0);
	else {
		reply_usage(r, "policy '%s': early, late or default", argv[0]);
		return;
	}
	if (rc != 0) {
		reply_fail(r, errno, "prctl(PR_MCE_KILL) failed");
		return;
	}
	/* Read back rather than echo the request: the kernel's view is what matters. */
	rc = prctl(PR_MCE_KILL_GET, 0, 0, 0, 0);
	if (rc < 0) {
		reply_fail(r, errno, "prctl(PR_MCE_KILL_GET) failed");
		return;
	}
	json_str(&r->body, "policy", policy_name(rc));
}
