/*
 * Physical page lookups through procfs: /proc/PID/pagemap (virtual page -> PFN) and
 * /proc/kpageflags (PFN -> page flags). Both need root to see real PFNs; an unprivileged
 * reader gets PFN 0, which callers must treat as "unknown", never as page 0.
 */
#ifndef MH_PAGES_H
#define MH_PAGES_H

#include <stdint.h>
#include <sys/types.h>

struct pagemap_entry {
	uint64_t raw;
	int present;
	int swapped;
	int exclusive;
	int soft_dirty;
	int file_or_shared;
	/* Valid only when present; 0 when hidden from an unprivileged reader. */
	uint64_t pfn;
};

/* Returns 0 or -errno. pid 0 means the calling process. */
int pagemap_lookup(pid_t pid, uint64_t vaddr, struct pagemap_entry *out);

/* Returns 0 or -errno. */
int kpageflags_read(uint64_t pfn, uint64_t *flags);

/* Name of a /proc/kpageflags bit (include/uapi/linux/kernel-page-flags.h and the
 * kernel-internal bits above 31), or NULL for a bit without a name. */
const char *kpageflag_name(unsigned int bit);

/* Bit numbers the harness cares about by name. */
#define KPF_BUDDY 10
#define KPF_HWPOISON 19

long page_size(void);

#endif
