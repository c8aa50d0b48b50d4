/*
 * pfn: which physical page backs a virtual address, and what the kernel's page flags say
 * about it. `selftest` proves the whole path works in a guest (root, pagemap and
 * kpageflags readable, PFNs not hidden) on a page the helper owns.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "args.h"
#include "commands.h"
#include "pages.h"

/* Adds the members describing vaddr in pid's address space (0 = self). */
static void report_page(struct reply *r, pid_t pid, uint64_t vaddr)
{
	struct pagemap_entry pm;
	struct json *j = &r->body;
	uint64_t flags = 0;
	int rc = pagemap_lookup(pid, vaddr, &pm);

	if (rc) {
		reply_fail(r, -rc, "cannot read pagemap entry of 0x%" PRIx64, vaddr);
		return;
	}
	if (pm.present && pm.pfn == 0) {
		reply_fail(r, EPERM, "pagemap hides PFNs: the helper must run as root (CAP_SYS_ADMIN)");
		return;
	}
	if (pm.present) {
		rc = kpageflags_read(pm.pfn, &flags);
		if (rc) {
			reply_fail(r, -rc, "cannot read /proc/kpageflags for pfn 0x%" PRIx64, pm.pfn);
			return;
		}
	}

	if (pid > 0)
		json_int(j, "pid", pid);
	json_hex(j, "vaddr", vaddr);
	json_bool(j, "present", pm.present);
	json_bool(j, "swapped", pm.swapped);
	json_hex(j, "pagemap", pm.raw);
	if (pm.present) {
		json_hex(j, "pfn", pm.pfn);
		json_hex(j, "paddr", pm.pfn * (uint64_t)page_size());
		json_hex(j, "flags", flags);
		json_flag_names(j, "names", flags);
	} else {
		json_null(j, "pfn");
	}
}

/* Maps and dirties an anonymous page of our own, then reports it. */
static void selftest(struct reply *r)
{
	long size = page_size();
	void *page = mmap(NULL, (size_t)size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
			  -1, 0);
	if (page == MAP_FAILED) {
		reply_fail(r, errno, "mmap of one anonymous page failed");
		return;
	}
	/* A write, not a read: reading would map the shared zero page. */
	memset(page, 0x5a, (size_t)size);
	report_page(r, 0, (uint64_t)(uintptr_t)page);
	munmap(page, (size_t)size);
}

void cmd_pfn(struct reply *r, int argc, char **argv)
{
	uint64_t vaddr, pid = 0;

	if (argc == 1 && strcmp(argv[0], "selftest") == 0) {
		selftest(r);
		return;
	}
	if (parse_u64(argv[0], &vaddr) ||
	    (argc == 2 && (parse_u64(argv[1], &pid) || pid == 0 || pid > INT32_MAX))) {
		reply_usage(r, "usage: pfn VADDR [PID] | pfn selftest");
		return;
	}
	report_page(r, (pid_t)pid, vaddr);
}

void cmd_selftest(struct reply *r, int argc, char **argv)
{
	(void)argc;
	(void)argv;
	selftest(r);
}
