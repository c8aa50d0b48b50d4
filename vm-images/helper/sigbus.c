#define _GNU_SOURCE
#include "sigbus.h"

#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <string.h>
#include <ucontext.h>
#include <unistd.h>

#include "names.h"

#ifndef BUS_MCEERR_AO
#define BUS_MCEERR_AO 5
#endif

#define ASYNC_MAX 16

static sigjmp_buf guard_env;
static volatile sig_atomic_t guard_armed;
static struct sigbus_info guard_info;

/* Written only by the handler while SIGBUS is unblocked; read and reset only with SIGBUS
 * blocked, so the two never overlap. */
static struct sigbus_info async_ring[ASYNC_MAX];
static volatile sig_atomic_t async_count;
static volatile sig_atomic_t async_dropped;

/* A poisoned stack page must not stop the handler from reporting it. */
static char alt_stack[64 * 1024];

static void fill_info(struct sigbus_info *out, const siginfo_t *si, const void *ucontext)
{
	/* A kill(2)-sent signal (code <= 0) has the sender's pid and uid where a fault has
	 * si_addr; those are not addresses. si_addr_lsb is only set for machine checks (the
	 * kernel zeroes the rest of a fault's siginfo). */
	out->code = si->si_code;
	out->addr = si->si_code > 0 ? (uint64_t)(uintptr_t)si->si_addr : 0;
	out->lsb = si->si_code > 0 ? si->si_addr_lsb : 0;
	out->have_syscall_ret = 0;
	out->syscall_ret = 0;
#if defined(__x86_64__)
	const ucontext_t *uc = ucontext;
	const unsigned char *rip = (const unsigned char *)uc->uc_mcontext.gregs[REG_RIP];
	/* 0f 05 is `syscall`; RIP right after it means the signal was raised during the call
	 * and RAX already holds its result. */
	/* Never read across a page start: the page before may be unmapped. */
	if (((uintptr_t)rip & 4095) >= 2 && rip[-2] == 0x0f && rip[-1] == 0x05) {
		out->have_syscall_ret = 1;
		out->syscall_ret = (long long)uc->uc_mcontext.gregs[REG_RAX];
	}
#else
	(void)ucontext;
#endif
}

/* --- async-signal-safe output for the fatal case (no stdio, no malloc) --- */

struct raw_line {
	char buf[512];
	size_t len;
};

static void raw_put(struct raw_line *l, const char *s)
{
	while (*s && l->len < sizeof(l->buf) - 1)
		l->buf[l->len++] = *s++;
}

static void raw_put_num(struct raw_line *l, uint64_t v, unsigned int base, int negative)
{
	char digits[24];
	int n = 0;
	do {
		digits[n++] = "0123456789abcdef"[v % base];
		v /= base;
	} while (v && n < (int)sizeof(digits));
	if (negative)
		raw_put(l, "-");
	if (base == 16)
		raw_put(l, "0x");
	while (n && l->len < sizeof(l->buf) - 1)
		l->buf[l->len++] = digits[--n];
}

static void raw_put_int(struct raw_line *l, long long v)
{
	raw_put_num(l, v < 0 ? 0u - (uint64_t)v : (uint64_t)v, 10, v < 0);
}

static void report_fatal(const struct sigbus_info *info)
{
	struct raw_line l = { .len = 0 };
	char name[32];

	raw_put(&l, "{\"event\":\"sigbus\",\"async\":false,\"fatal\":true,\"code\":");
	raw_put_int(&l, info->code);
	raw_put(&l, ",\"codeName\":\"");
	raw_put(&l, sigbus_code_name(info->code, name, sizeof(name)));
	raw_put(&l, "\",\"addr\":\"");
	raw_put_num(&l, info->addr, 16, 0);
	raw_put(&l, "\",\"lsb\":");
	raw_put_int(&l, info->lsb);
	raw_put(&l, ",\"exitStatus\":");
	raw_put_int(&l, SIGBUS_EXIT_STATUS);
	raw_put(&l, "}\n");
	size_t off = 0;
	while (off < l.len) {
		ssize_t n = write(STDOUT_FILENO, l.buf + off, l.len - off);
		if (n <= 0)
			break;
		off += (size_t)n;
	}
}

static void on_sigbus(int sig, siginfo_t *si, void *ucontext)
{
	int saved_errno = errno;
	struct sigbus_info info;
	(void)sig;

	fill_info(&info, si, ucontext);

	/* AO and user-sent signals report something that happened elsewhere; the interrupted
	 * code can simply continue, even inside a guarded operation. */
	if (info.code == BUS_MCEERR_AO || info.code <= 0) {
		if (async_count < ASYNC_MAX) {
			async_ring[async_count] = info;
			async_count = async_count + 1;
		} else {
			async_dropped = async_dropped + 1;
		}
		errno = saved_errno;
		return;
	}

	if (guard_armed) {
		guard_info = info;
		guard_armed = 0;
		siglongjmp(guard_env, 1);
	}

	report_fatal(&info);
	_exit(SIGBUS_EXIT_STATUS);
}

int sigbus_install(void)
{
	stack_t ss = { .ss_sp = alt_stack, .ss_size = sizeof(alt_stack), .ss_flags = 0 };
	struct sigaction sa;

	if (sigaltstack(&ss, NULL) != 0)
		return -errno;
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_sigbus;
	/* No SA_RESTART: an asynchronous SIGBUS must wake the idle loop (EINTR) so the event
	 * goes out at once instead of after the next request. */
	sa.sa_flags = SA_SIGINFO | SA_ONSTACK;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGBUS, &sa, NULL) != 0)
		return -errno;
	return 0;
}

int sigbus_guard(guarded_fn fn, void *arg, struct sigbus_info *info)
{
	/* savemask=1: the handler runs with SIGBUS blocked, and the jump must undo that. */
	if (sigsetjmp(guard_env, 1) != 0) {
		*info = guard_info;
		return 1;
	}
	guard_armed = 1;
	fn(arg);
	guard_armed = 0;
	return 0;
}

int sigbus_take_async(struct sigbus_info *out, int max, unsigned int *dropped)
{
	sigset_t block, old;
	int n;

	sigemptyset(&block);
	sigaddset(&block, SIGBUS);
	sigprocmask(SIG_BLOCK, &block, &old);
	n = async_count < max ? async_count : max;
	for (int i = 0; i < n; i++)
		out[i] = async_ring[i];
	*dropped = (unsigned int)async_dropped + (unsigned int)(async_count - n);
	async_count = 0;
	async_dropped = 0;
	sigprocmask(SIG_SETMASK, &old, NULL);
	return n;
}
