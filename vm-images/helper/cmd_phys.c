/* free-pages, free-hugepages, slab-pages, kpageflags: physical pages by PFN, for injections
 * that aim at pages no process owns. */
#include <errno.h>
#include <stdlib.h>

#include "args.h"
#include "commands.h"
#include "pages.h"

#define MAX_PFNS 4096
/* Below 256 MiB sit the DMA zones and early boot allocations; poisoning there tests the
 * wrong thing and can take the guest down. */
#define DEFAULT_MIN_PFN 0x10000
/* Slab pages need not stay clear of the low zones (nothing there is touched, only refused),
 * and a guest whose upper memory is ZONE_MOVABLE has all of them below 256 MiB: search from
 * the end of ZONE_DMA (16 MiB). */
#define DEFAULT_MIN_SLAB_PFN 0x1000

/* Which pages a search collects. */
enum pfn_kind {
	PFN_FREE,
	PFN_FREE_HUGETLB,
	PFN_SLAB,
};

struct pfn_search {
	uint64_t want;
	uint64_t found;
	uint64_t *pfns;
	enum pfn_kind kind;
	/* PFN_FREE: pages at or past max_pfn are not looked at (0: no limit). */
	uint64_t max_pfn;
	/* PFN_FREE: the order of the aligned free block each of pfns[] starts, best first. */
	unsigned *orders;
	/* PFN_FREE: the run of free pages being read, [run_start, run_end). */
	int in_run;
	uint64_t run_start;
	uint64_t run_end;
	/* PFN_FREE_HUGETLB with a size: only heads of huge pages of huge_pages base pages (0:
	 * any size). The size is learnt by counting the compound tails after a head. */
	uint64_t huge_pages;
	int in_huge;
	uint64_t huge_head;
	uint64_t huge_tails;
};

/* MAX_ORDER on x86: the largest buddy block is 2^10 pages (4 MiB). */
#define MAX_BUDDY_ORDER 10

/* Keeps the `want` best: larger order first, then lower PFN (candidates come in that order). */
static void rank_free(struct pfn_search *s, uint64_t pfn, unsigned order)
{
	uint64_t at = s->found;
	while (at > 0 && s->orders[at - 1] < order)
		at--;
	if (at >= s->want)
		return;
	uint64_t last = s->found < s->want ? s->found : s->want - 1;
	for (uint64_t i = last; i > at; i--) {
		s->pfns[i] = s->pfns[i - 1];
		s->orders[i] = s->orders[i - 1];
	}
	s->pfns[at] = pfn;
	s->orders[at] = order;
	if (s->found < s->want)
		s->found++;
}

/*
 * A run of free pages [start, end) (both kernels flag every page of a free block buddy, not
 * only its head) offers, per order k, the starts of the 2^k-aligned blocks inside it; each
 * start is offered once, at the largest order whose aligned block still fits.
 */
static void rank_run(struct pfn_search *s, uint64_t start, uint64_t end)
{
	for (int k = MAX_BUDDY_ORDER; k >= 0; k--) {
		uint64_t size = UINT64_C(1) << k;
		uint64_t offered = 0;
		for (uint64_t p = (start + size - 1) & ~(size - 1); p + size <= end && offered < s->want; p += size) {
			if (k < MAX_BUDDY_ORDER && !(p & (2 * size - 1)) && p + 2 * size <= end)
				continue;
			rank_free(s, p, (unsigned)k);
			offered++;
		}
	}
}

static void close_run(struct pfn_search *s)
{
	if (s->in_run)
		rank_run(s, s->run_start, s->run_end);
	s->in_run = 0;
}

/*
 * Free pages: the starts of the largest aligned free blocks, not the first free pages. The
 * lowest free page borders memory in use and sits in a small block, which the allocator
 * hands out next (free lists are LIFO, smallest order first): one was seen taken by the
 * injecting helper process itself between the search and the injection. A 4 MiB block is
 * split last.
 */
static int pick_free(uint64_t pfn, uint64_t flags, struct pfn_search *s)
{
	if (s->max_pfn && pfn >= s->max_pfn) {
		close_run(s);
		return 1;
	}
	int free_page = (flags & KPF_BIT(KPF_BUDDY)) && !(flags & KPF_BIT(KPF_HWPOISON));
	if (free_page && s->in_run && pfn == s->run_end) {
		s->run_end++;
		return 0;
	}
	close_run(s);
	if (free_page) {
		s->in_run = 1;
		s->run_start = pfn;
		s->run_end = pfn + 1;
	}
	return 0;
}

/* The free huge page whose head was seen ends here: keep it if it has the wanted size. */
static void close_huge(struct pfn_search *s)
{
	if (s->in_huge && s->huge_tails + 1 == s->huge_pages && s->found < s->want)
		s->pfns[s->found++] = s->huge_head;
	s->in_huge = 0;
}

static int free_hugetlb_head(uint64_t flags)
{
	/* A hugetlb pool page: head of a huge compound page nobody maps. */
	return (flags & KPF_BIT(KPF_HUGE)) && (flags & KPF_BIT(KPF_COMPOUND_HEAD)) &&
	       !(flags & (KPF_BIT(KPF_MMAP) | KPF_BIT(KPF_ANON) | KPF_BIT(KPF_HWPOISON)));
}

/* Free hugetlb heads of one size: 2 MiB and 1 GiB pages look alike in kpageflags but for
 * the number of compound tails that follow the head. */
static int pick_sized_hugetlb(uint64_t pfn, uint64_t flags, struct pfn_search *s)
{
	/* Every tail is counted, so a larger page than wanted never passes for a smaller one. */
	if (s->in_huge && pfn == s->huge_head + s->huge_tails + 1 && (flags & KPF_BIT(KPF_COMPOUND_TAIL))) {
		s->huge_tails++;
		return 0;
	}
	close_huge(s);
	if (s->found == s->want)
		return 1;
	if (free_hugetlb_head(flags)) {
		s->in_huge = 1;
		s->huge_head = pfn;
		s->huge_tails = 0;
	}
	return 0;
}

static int pick(uint64_t pfn, uint64_t flags, void *arg)
{
	struct pfn_search *s = arg;
	int match;

	if (s->kind == PFN_FREE)
		return pick_free(pfn, flags, s);
	if (s->kind == PFN_FREE_HUGETLB && s->huge_pages)
		return pick_sized_hugetlb(pfn, flags, s);
	switch (s->kind) {
	case PFN_FREE_HUGETLB:
		match = free_hugetlb_head(flags);
		break;
	case PFN_SLAB:
		/* A page the slab allocator holds: kernel memory that cannot be migrated, so
		 * memory-failure and soft offline can only refuse it. */
		match = (flags & KPF_BIT(KPF_SLAB)) && !(flags & KPF_BIT(KPF_HWPOISON));
		break;
	default:
		match = 0;
		break;
	}
	if (match)
		s->pfns[s->found++] = pfn;
	return s->found == s->want;
}

static void search(struct reply *r, uint64_t count, uint64_t min_pfn, uint64_t max_pfn, enum pfn_kind kind,
		   uint64_t huge_pages)
{
	struct pfn_search s = { .want = count, .kind = kind, .max_pfn = max_pfn, .huge_pages = huge_pages };

	s.pfns = calloc((size_t)count, sizeof(uint64_t));
	s.orders = calloc((size_t)count, sizeof(unsigned));
	if (!s.pfns || !s.orders) {
		free(s.pfns);
		free(s.orders);
		reply_fail(r, ENOMEM, "out of memory");
		return;
	}
	int rc = kpageflags_scan(min_pfn, pick, &s);
	if (kind == PFN_FREE)
		close_run(&s);
	if (kind == PFN_FREE_HUGETLB && huge_pages)
		close_huge(&s);
	if (rc) {
		reply_fail(r, -rc, "cannot read /proc/kpageflags (the helper must run as root)");
	} else if (s.found < count) {
		if (kind == PFN_FREE_HUGETLB && huge_pages)
			reply_fail(r, 0, "only %llu free %llu kB hugetlb pages, %llu wanted: echo N > "
				   "/sys/kernel/mm/hugepages/hugepages-%llukB/nr_hugepages",
				   (unsigned long long)s.found, (unsigned long long)(huge_pages * 4),
				   (unsigned long long)count, (unsigned long long)(huge_pages * 4));
		else if (kind == PFN_FREE_HUGETLB)
			reply_fail(r, 0, "only %llu free hugetlb pages, %llu wanted: echo N > /proc/sys/vm/nr_hugepages",
				   (unsigned long long)s.found, (unsigned long long)count);
		else
			reply_fail(r, 0, "only %llu %s pages at or above PFN 0x%llx, %llu wanted",
				   (unsigned long long)s.found, kind == PFN_SLAB ? "slab" : "free",
				   (unsigned long long)min_pfn, (unsigned long long)count);
	}
	/* Also on failure: what was found is still useful to a person reading the log. */
	json_array_begin(&r->body, "pfns");
	for (uint64_t i = 0; i < s.found; i++)
		json_elem_hex(&r->body, s.pfns[i]);
	json_array_end(&r->body);
	free(s.pfns);
	free(s.orders);
}

/* COUNT [MIN_PFN [MAX_PFN]]: the shared arguments of free-pages and slab-pages. */
static void search_above(struct reply *r, int argc, char **argv, enum pfn_kind kind)
{
	uint64_t count, min_pfn = kind == PFN_SLAB ? DEFAULT_MIN_SLAB_PFN : DEFAULT_MIN_PFN, max_pfn = 0;

	if (parse_range(argv[0], 1, MAX_PFNS, &count)) {
		reply_usage(r, "COUNT '%s' must be 1..%d", argv[0], MAX_PFNS);
		return;
	}
	if (argc > 1 && parse_u64(argv[1], &min_pfn)) {
		reply_usage(r, "MIN_PFN '%s' is not a number (0x-prefixed hex or decimal)", argv[1]);
		return;
	}
	if (argc > 2 && (parse_u64(argv[2], &max_pfn) || max_pfn <= min_pfn)) {
		reply_usage(r, "MAX_PFN '%s' must be a number above MIN_PFN", argv[2]);
		return;
	}
	search(r, count, min_pfn, max_pfn, kind, 0);
}

void cmd_free_pages(struct reply *r, int argc, char **argv)
{
	search_above(r, argc, argv, PFN_FREE);
}

void cmd_slab_pages(struct reply *r, int argc, char **argv)
{
	search_above(r, argc, argv, PFN_SLAB);
}

/* COUNT [SIZE_KB]: SIZE_KB 2048 or 1048576 picks one pool's pages; without it, any. */
void cmd_free_hugepages(struct reply *r, int argc, char **argv)
{
	uint64_t count, size_kb = 0;

	if (parse_range(argv[0], 1, MAX_PFNS, &count)) {
		reply_usage(r, "COUNT '%s' must be 1..%d", argv[0], MAX_PFNS);
		return;
	}
	if (argc > 1 && (parse_u64(argv[1], &size_kb) || (size_kb != 2048 && size_kb != 1048576))) {
		reply_usage(r, "SIZE_KB '%s' must be 2048 or 1048576", argv[1]);
		return;
	}
	/* kpageflags counts 4 KiB frames. */
	search(r, count, 0, 0, PFN_FREE_HUGETLB, size_kb / 4);
}

void cmd_kpageflags(struct reply *r, int argc, char **argv)
{
	struct page_reader pr;
	uint64_t pfn, flags;

	for (int i = 0; i < argc; i++) {
		if (parse_u64(argv[i], &pfn)) {
			reply_usage(r, "PFN '%s' is not a number (0x-prefixed hex or decimal)", argv[i]);
			return;
		}
	}
	page_reader_open(&pr);
	json_array_begin(&r->body, "pages");
	for (int i = 0; i < argc; i++) {
		parse_u64(argv[i], &pfn);
		int rc = page_reader_flags(&pr, pfn, &flags);
		if (rc == -ENXIO) {
			reply_fail(r, ENXIO, "PFN %s is past the last page frame", argv[i]);
			break;
		}
		if (rc) {
			reply_fail(r, -rc, "cannot read /proc/kpageflags (the helper must run as root)");
			break;
		}
		json_elem_object_begin(&r->body);
		json_hex(&r->body, "pfn", pfn);
		json_hex(&r->body, "flags", flags);
		json_flag_names(&r->body, "names", flags);
		json_object_end(&r->body);
	}
	json_array_end(&r->body);
	page_reader_close(&pr);
}
