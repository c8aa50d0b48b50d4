/* fill, verify, access, spin: the helper's own loads and stores to target memory, all
 * guarded. */
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <string.h>
#include <time.h>

#include "commands.h"
#include "events.h"
#include "memops.h"
#include "targets.h"

static int parse_seed(struct reply *r, const char *text, uint32_t *seed)
{
	uint64_t v;
	if (parse_range(text, 0, UINT32_MAX, &v)) {
		reply_usage(r, "SEED '%s' must be 0..4294967295", text);
		return -1;
	}
	*seed = (uint32_t)v;
	return 0;
}

/* Byte offset of a SIGBUS address inside the target, or -1 when it lies elsewhere. */
static long long fault_offset(const struct target *t, const struct sigbus_info *info)
{
	uint64_t start = (uint64_t)(uintptr_t)t->addr;
	if (info->addr >= start && info->addr - start < t->length)
		return (long long)(info->addr - start);
	return -1;
}

void cmd_fill(struct reply *r, int argc, char **argv)
{
	struct sigbus_info info;
	uint32_t seed;
	(void)argc;

	struct target *t = target_lookup(r, argv[0]);
	if (!t || parse_seed(r, argv[1], &seed))
		return;
	if (t->kind == KIND_FILE_CLEAN) {
		/* Stores through the mapping would dirty the pages; rewrite the file instead. */
		if (target_refill_clean_file(r, t, seed) == 0)
			json_int(&r->body, "bytes", (long long)t->length);
		return;
	}
	struct mem_job job = { .base = t->addr, .length = t->length, .seed = seed };
	if (mem_guarded(mem_fill, &job, &info)) {
		long long off = fault_offset(t, &info);
		reply_fail(r, 0, "SIGBUS while filling '%s' at offset %lld", t->name, off);
		json_int(&r->body, "bytes", off < 0 ? 0 : off);
		reply_sigbus(&r->body, "sigbus", &info);
		return;
	}
	json_int(&r->body, "bytes", (long long)t->length);
}

void cmd_verify(struct reply *r, int argc, char **argv)
{
	struct sigbus_info info;
	uint32_t seed;
	(void)argc;

	struct target *t = target_lookup(r, argv[0]);
	if (!t || parse_seed(r, argv[1], &seed))
		return;
	struct mem_job job = { .base = t->addr, .length = t->length, .seed = seed };
	int faulted = mem_guarded(mem_verify, &job, &info);
	json_bool(&r->body, "intact", !faulted && !job.mismatch);
	if (!faulted && job.mismatch)
		json_int(&r->body, "firstMismatch", (long long)job.mismatch_offset);
	else
		json_null(&r->body, "firstMismatch");
	reply_sigbus(&r->body, "sigbus", faulted ? &info : NULL);
	if (faulted) {
		/* Where the readable prefix ends: the pattern held up to this offset. */
		long long off = fault_offset(t, &info);
		if (off >= 0)
			json_int(&r->body, "sigbusOffset", off);
	}
}

void cmd_access(struct reply *r, int argc, char **argv)
{
	struct sigbus_info info;
	size_t index;
	int write, unguarded = 0;

	struct target *t = target_lookup_page(r, argv[0], argv[1], &index);
	if (!t)
		return;
	if (strcmp(argv[2], "read") == 0) {
		write = 0;
	} else if (strcmp(argv[2], "write") == 0) {
		write = 1;
	} else {
		reply_usage(r, "access mode '%s': read or write", argv[2]);
		return;
	}
	if (argc > 3) {
		if (strcmp(argv[3], "unguarded") != 0) {
			reply_usage(r, "'%s': the only option after the mode is 'unguarded'", argv[3]);
			return;
		}
		unguarded = 1;
	}

	struct mem_job job = { .base = t->addr + index * t->page_size, .length = t->page_size };
	void (*body)(void *) = write ? mem_write : mem_read;
	if (unguarded) {
		/* Deliberately outside the guard: a synchronous SIGBUS now ends the helper with a
		 * fatal event and exit 135, as it would any process that cannot handle it. */
		body(&job);
		json_str(&r->body, "outcome", "ok");
		reply_sigbus(&r->body, "sigbus", NULL);
		return;
	}
	int faulted = mem_guarded(body, &job, &info);
	json_str(&r->body, "outcome", faulted ? "sigbus" : "ok");
	reply_sigbus(&r->body, "sigbus", faulted ? &info : NULL);
}

#define SPIN_MAX_MS 600000

void cmd_spin(struct reply *r, int argc, char **argv)
{
	struct sigbus_info info;
	cpu_set_t before, only;
	uint64_t ms, cpu;
	struct timespec ts;
	size_t index;
	(void)argc;

	struct target *t = target_lookup_page(r, argv[0], argv[1], &index);
	if (!t)
		return;
	if (parse_range(argv[2], 1, SPIN_MAX_MS, &ms)) {
		reply_usage(r, "MILLISECONDS '%s' must be 1..%d", argv[2], SPIN_MAX_MS);
		return;
	}
	if (parse_range(argv[3], 0, CPU_SETSIZE - 1, &cpu)) {
		reply_usage(r, "CPU '%s' must be 0..%d", argv[3], CPU_SETSIZE - 1);
		return;
	}
	/* Pinned, because QEMU raises the machine check on one given CPU and only a CPU that
	 * is consuming the page in user mode can recover from an SRAR. */
	if (sched_getaffinity(0, sizeof(before), &before) != 0) {
		reply_fail(r, errno, "sched_getaffinity failed");
		return;
	}
	CPU_ZERO(&only);
	CPU_SET((int)cpu, &only);
	if (sched_setaffinity(0, sizeof(only), &only) != 0) {
		reply_fail(r, errno, "cannot pin to CPU %llu", (unsigned long long)cpu);
		return;
	}

	clock_gettime(CLOCK_MONOTONIC, &ts);
	struct spin_job job = {
		.base = t->addr + index * t->page_size,
		.length = t->page_size,
		.deadline_ns = (uint64_t)ts.tv_sec * UINT64_C(1000000000) + (uint64_t)ts.tv_nsec +
			       ms * UINT64_C(1000000),
		.loops = 0,
	};
	/* Before the loop, not after its first pass: the harness waits for this to inject. */
	event_spinning(r->id);
	int faulted = sigbus_guard(mem_spin, &job, &info);
	/* The pin was for the spin only; later requests run wherever the scheduler likes. */
	sched_setaffinity(0, sizeof(before), &before);

	json_str(&r->body, "outcome", faulted ? "sigbus" : "ok");
	reply_sigbus(&r->body, "sigbus", faulted ? &info : NULL);
	json_int(&r->body, "loops", (long long)job.loops);
}
