/*
 * SIGBUS is the helper's main observation, not an accident. Three cases:
 *
 * - Synchronous, inside a guarded operation (an access to target memory, or a system call
 *   such as 6.12's madvise(MADV_HWPOISON), which signals before it returns): the handler
 *   records the siginfo and siglongjmps back to the guard, and the request's reply carries it.
 * - Asynchronous (BUS_MCEERR_AO from an early kill, or sent with kill(2)): the handler only
 *   records it; the main loop prints it as an event. Returning is safe because nothing will
 *   re-fault.
 * - Synchronous outside any guard (a bug, or a deliberate `access ... unguarded`): returning
 *   would re-execute the faulting instruction forever, so the handler prints a fatal event
 *   and _exit(135)s (128 + SIGBUS, the status a shell would show).
 */
#ifndef MH_SIGBUS_H
#define MH_SIGBUS_H

#include <stdint.h>

#define SIGBUS_EXIT_STATUS 135

struct sigbus_info {
	int code;
	uint64_t addr;
	int lsb;
	/* The signal arrived on the way out of a system call: the C wrapper never returned, so
	 * syscall_ret is the call's raw result (-errno on failure) from the interrupted
	 * registers. Only known on x86-64. */
	int have_syscall_ret;
	long long syscall_ret;
};

/* Installs the handler (SA_SIGINFO, no SA_RESTART, on an alternate stack). 0 or -errno. */
int sigbus_install(void);

typedef void (*guarded_fn)(void *arg);

/* Runs fn(arg). Returns 0 when it completed, 1 when a synchronous SIGBUS cut it short
 * (then *info says what arrived). Not reentrant; fn must not leave locks or heap state
 * half-updated, since it may be abandoned at any memory access. */
int sigbus_guard(guarded_fn fn, void *arg, struct sigbus_info *info);

/* Moves up to max asynchronous SIGBUS records into out and returns how many; *dropped gets
 * how many did not fit in the record buffer since the last call. */
int sigbus_take_async(struct sigbus_info *out, int max, unsigned int *dropped);

#endif
