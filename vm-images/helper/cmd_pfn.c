/*
 * pfn: which physical page backs a virtual address, and what the kernel's page flags say
 * about it. `selftest` proves the whole path works in a guest (root, pagemap and
 * kpageflags readable, PFNs not hidden) on a page the helper owns.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "commands.h"
#include "json.h"
#include "pages.h"

static int parse_u64(const char *text, uint64_t *value)
{
	char *end;
	errno = 0;
	unsigned long long v = strtoull(text, &end, 0);
	if (errno || end == text || *end != '\0')
		return -1;
	*value = (uint64_t)v;
	return 0;
}

/* Emits one "page" line for vaddr in pid's address space (0 = self). */
static int report_page(const char *command, pid_t pid, uint64_t vaddr)
{
	struct pagemap_entry pm;
	struct json_line j;
	uint64_t flags = 0;
	int rc = pagemap_lookup(pid, vaddr, &pm);

	if (rc) {
		json_error(command, -rc, "cannot read pagemap entry of 0x%" PRIx64, vaddr);
		return EXIT_FAILED;
	}
	if (pm.present && pm.pfn == 0) {
		json_error(command, EPERM,
			   "pagemap hides PFNs: the helper must run as root (CAP_SYS_ADMIN)");
		return EXIT_FAILED;
	}
	if (pm.present) {
		rc = kpageflags_read(pm.pfn, &flags);
		if (rc) {
			json_error(command, -rc, "cannot read /proc/kpageflags for pfn 0x%" PRIx64,
				   pm.pfn);
			return EXIT_FAILED;
		}
	}

	json_begin(&j, "page");
	if (pid > 0)
		json_int(&j, "pid", pid);
	json_hex(&j, "vaddr", vaddr);
	json_bool(&j, "present", pm.present);
	json_bool(&j, "swapped", pm.swapped);
	json_hex(&j, "pagemap", pm.raw);
	if (pm.present) {
		json_hex(&j, "pfn", pm.pfn);
		json_hex(&j, "paddr", pm.pfn * (uint64_t)page_size());
		json_hex(&j, "flags", flags);
		json_array_begin(&j, "flag_names");
		for (unsigned int bit = 0; bit < 64; bit++) {
			if (!(flags & (UINT64_C(1) << bit)))
				continue;
			const char *name = kpageflag_name(bit);
			char unnamed[16];
			if (!name) {
				snprintf(unnamed, sizeof(unnamed), "bit%u", bit);
				name = unnamed;
			}
			json_array_str(&j, name);
		}
		json_array_end(&j);
	} else {
		json_null(&j, "pfn");
	}
	return json_emit(&j) == 0 ? 0 : EXIT_FAILED;
}

/* Maps and dirties an anonymous page of our own, then reports it. */
static int selftest(const char *command)
{
	long size = page_size();
	void *page = mmap(NULL, (size_t)size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
			  -1, 0);
	if (page == MAP_FAILED) {
		json_error(command, errno, "mmap of one anonymous page failed");
		return EXIT_FAILED;
	}
	/* A write, not a read: reading would map the shared zero page. */
	memset(page, 0x5a, (size_t)size);
	int rc = report_page(command, 0, (uint64_t)(uintptr_t)page);
	munmap(page, (size_t)size);
	return rc;
}

int cmd_pfn(int argc, char **argv)
{
	uint64_t vaddr, pid = 0;

	if (argc == 1 && strcmp(argv[0], "selftest") == 0)
		return selftest("pfn");
	if (argc < 1 || argc > 2 || parse_u64(argv[0], &vaddr) ||
	    (argc == 2 && (parse_u64(argv[1], &pid) || pid == 0 || pid > INT32_MAX))) {
		json_error("pfn", 0, "usage: pfn VADDR [PID] | pfn selftest");
		return EXIT_USAGE;
	}
	return report_page("pfn", (pid_t)pid, vaddr);
}

int cmd_selftest(int argc, char **argv)
{
	(void)argv;
	if (argc != 0) {
		json_error("selftest", 0, "selftest takes no arguments");
		return EXIT_USAGE;
	}
	return selftest("selftest");
}
