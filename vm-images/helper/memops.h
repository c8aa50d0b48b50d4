/*
 * Everything that touches target memory, written to run under sigbus_guard: a SIGBUS may
 * abandon any of these at any load or store, so they keep no state outside their job and
 * the caller learns where they stopped from the SIGBUS address.
 */
#ifndef MH_MEMOPS_H
#define MH_MEMOPS_H

#include <stddef.h>
#include <stdint.h>

#include "sigbus.h"

/* The fill pattern (PROTOCOL.md): low byte of (o * 2654435761 + s * 40503) >> 7, computed in
 * unsigned 64-bit arithmetic. */
static inline uint8_t pattern_byte(uint64_t offset, uint32_t seed)
{
	return (uint8_t)((offset * UINT64_C(2654435761) + (uint64_t)seed * UINT64_C(40503)) >> 7);
}

/* Pattern bytes for [offset, offset + n) into buf. */
void pattern_fill_buffer(unsigned char *buf, size_t n, uint64_t offset, uint32_t seed);

struct mem_job {
	unsigned char *base;
	size_t length;
	uint32_t seed;
	/* verify: set when a byte differs from the pattern. */
	int mismatch;
	size_t mismatch_offset;
};

/* Guarded bodies (pass to sigbus_guard with a struct mem_job). */
void mem_fill(void *job);
void mem_verify(void *job);
/* One load per cache line of [base, base + length). */
void mem_read(void *job);
/* One store per cache line, of the byte already there: a write fault without changing data. */
void mem_write(void *job);

/* spin: reads [base, base + length) over and over until deadline (CLOCK_MONOTONIC ns),
 * counting finished passes in loops (volatile: the count must be in memory, not in a
 * register, when a SIGBUS abandons the loop). */
struct spin_job {
	const unsigned char *base;
	size_t length;
	uint64_t deadline_ns;
	volatile unsigned long loops;
};
void mem_spin(void *job);

/* Runs body on job under the guard. Returns 0, or 1 with *info when a SIGBUS stopped it. */
int mem_guarded(void (*body)(void *), struct mem_job *job, struct sigbus_info *info);

#endif
