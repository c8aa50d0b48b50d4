/*
 * A syzbot-style reproducer: one thread reads a page in a loop while the main thread
 * poisons it with madvise(MADV_HWPOISON) (root only: CAP_SYS_ADMIN). Built as syzbot builds
 * its C reproducers: gcc -static ... -lpthread.
 *
 * Expected: the process dies of SIGBUS. On 6.1 the reader's next load faults on the
 * poisoned (unmapped) page ("MCE: Killing madvise_race:TID ... fault at ADDR"); on 6.12
 * madvise() itself sends the caller BUS_MCEERR_AR (MF_ACTION_REQUIRED), unless the reader
 * faults first. It exits 0 only if nothing killed it within 20 s.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#ifndef MADV_HWPOISON
#define MADV_HWPOISON 100
#endif

static volatile unsigned char *page;
static volatile int reading;

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void *reader(void *arg)
{
	unsigned long sum = 0;
	double until = now() + 20;

	(void)arg;
	reading = 1;
	for (unsigned long i = 0;; i++) {
		sum += page[(i * 64) & 4095];
		if ((i & 0xfffff) == 0 && now() > until)
			break;
	}
	printf("reader: nothing happened in 20 s (sum %lu)\n", sum);
	return NULL;
}

int main(void)
{
	pthread_t thread;

	page = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (page == MAP_FAILED) {
		perror("mmap");
		return 2;
	}
	memset((void *)page, 0x5a, 4096);
	if (pthread_create(&thread, NULL, reader, NULL) != 0) {
		perror("pthread_create");
		return 2;
	}
	while (!reading)
		;
	usleep(10000);
	printf("poisoning %p\n", (void *)page);
	fflush(stdout);
	long ret = syscall(SYS_madvise, page, 4096, MADV_HWPOISON);
	printf("madvise returned %ld\n", ret);
	fflush(stdout);
	pthread_join(thread, NULL);
	return 0;
}
