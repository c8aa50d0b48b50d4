/*
 * Holds one anonymous page for the harness to poison, then reads it when told to.
 *
 *   hold-and-read [ADDR]
 *
 * Maps one private anonymous page (at ADDR when given, MAP_FIXED_NOREPLACE, so a later
 * step can find it in /proc/PID/pagemap without asking), writes it, prints
 * "ready vaddr=0x..." and waits for SIGUSR1. Then it reads the page back, one load per 64
 * bytes from its first byte, and prints the sum: a page poisoned in between kills it with
 * SIGBUS (BUS_MCEERR_AR at ADDR) on the first load instead.
 */
#define _GNU_SOURCE
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

int main(int argc, char **argv)
{
	unsigned long want = argc > 1 ? strtoul(argv[1], NULL, 0) : 0;
	sigset_t usr1;
	int sig;

	/* Blocked before anyone can send it: sigwait() then takes it whenever it comes. */
	sigemptyset(&usr1);
	sigaddset(&usr1, SIGUSR1);
	sigprocmask(SIG_BLOCK, &usr1, NULL);

	volatile unsigned char *page = mmap((void *)want, 4096, PROT_READ | PROT_WRITE,
					    MAP_PRIVATE | MAP_ANONYMOUS | (want ? MAP_FIXED_NOREPLACE : 0), -1, 0);
	if (page == MAP_FAILED) {
		perror("mmap");
		return 2;
	}
	memset((void *)page, 0x5a, 4096);
	printf("ready vaddr=%p\n", (void *)page);
	fflush(stdout);

	if (sigwait(&usr1, &sig) != 0) {
		perror("sigwait");
		return 2;
	}
	unsigned long sum = 0;
	for (int i = 0; i < 4096; i += 64)
		sum += page[i];
	printf("read back: sum %lu\n", sum);
	return 0;
}
