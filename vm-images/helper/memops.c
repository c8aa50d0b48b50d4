#include "memops.h"

#include <time.h>

#define LINE 64

void pattern_fill_buffer(unsigned char *buf, size_t n, uint64_t offset, uint32_t seed)
{
	for (size_t i = 0; i < n; i++)
		buf[i] = pattern_byte(offset + i, seed);
}

void mem_fill(void *arg)
{
	struct mem_job *job = arg;
	pattern_fill_buffer(job->base, job->length, 0, job->seed);
}

void mem_verify(void *arg)
{
	struct mem_job *job = arg;
	/* volatile: every byte must really be loaded from the target, in order, so the first
	 * unreadable page raises its SIGBUS before any later mismatch is looked at. */
	const volatile unsigned char *p = job->base;
	for (size_t o = 0; o < job->length; o++) {
		if (p[o] != pattern_byte(o, job->seed)) {
			job->mismatch = 1;
			job->mismatch_offset = o;
			return;
		}
	}
}

void mem_read(void *arg)
{
	struct mem_job *job = arg;
	const volatile unsigned char *p = job->base;
	for (size_t o = 0; o < job->length; o += LINE)
		(void)p[o];
}

void mem_write(void *arg)
{
	struct mem_job *job = arg;
	volatile unsigned char *p = job->base;
	for (size_t o = 0; o < job->length; o += LINE)
		p[o] = p[o];
}

static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * UINT64_C(1000000000) + (uint64_t)ts.tv_nsec;
}

void mem_spin(void *arg)
{
	struct spin_job *job = arg;
	const volatile unsigned char *p = job->base;
	/* clock_gettime goes through the vDSO: the loop never enters the kernel, so a machine
	 * check always finds the CPU in user mode consuming the page. */
	while (now_ns() < job->deadline_ns) {
		for (size_t o = 0; o < job->length; o += LINE)
			(void)p[o];
		job->loops = job->loops + 1;
	}
}

int mem_guarded(void (*body)(void *), struct mem_job *job, struct sigbus_info *info)
{
	job->mismatch = 0;
	job->mismatch_offset = 0;
	return sigbus_guard(body, job, info);
}
