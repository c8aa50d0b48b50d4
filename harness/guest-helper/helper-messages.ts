import { z } from 'zod';

/** Schemas of what the guest helper prints (vm-images/helper/PROTOCOL.md), checked at the edge. */
const hex = z.string().regex(/^0x[0-9a-f]+$/, 'lowercase hex');

export const sigbusSchema = z.object({
  code: z.number().int(),
  codeName: z.string(),
  addr: hex,
  lsb: z.number().int(),
});
export type SigbusInfo = z.infer<typeof sigbusSchema>;

export const targetPageSchema = z.object({
  index: z.number().int().nonnegative(),
  vaddr: hex,
  pfn: hex.nullable(),
  flags: hex.nullable(),
  names: z.array(z.string()),
  /** thp targets: whether the kernel really backed the range with a huge page. */
  huge: z.boolean().optional(),
  present: z.boolean().optional(),
});
export type TargetPage = z.infer<typeof targetPageSchema>;

/** What the helper's `alloc` makes (vm-images/helper/targets.c); a target kind maps to one of these (harness/inject/target-kind-traits.ts). */
export const HELPER_TARGET_KINDS = ['anon', 'anon-shared', 'shmem', 'file-clean', 'file-dirty', 'hugetlb', 'thp', 'mlocked'] as const;
export type HelperTargetKind = (typeof HELPER_TARGET_KINDS)[number];

export const targetSchema = z.object({
  name: z.string(),
  kind: z.enum(HELPER_TARGET_KINDS),
  vaddr: hex,
  length: z.number().int().positive(),
  pageSize: z.number().int().positive(),
  /** hugetlb targets: a MAP_SHARED hugetlbfs memfd (alloc's `shared`) rather than private anonymous memory. */
  shared: z.boolean().optional(),
  pages: z.array(targetPageSchema),
});
export type HelperTarget = z.infer<typeof targetSchema>;

export const replySchema = z
  .object({
    id: z.number().int(),
    ok: z.boolean(),
    error: z.string().optional(),
    errno: z.number().int().optional(),
    errnoName: z.string().optional(),
    sigbus: sigbusSchema.nullable().optional(),
  })
  .loose();
export type HelperReply = z.infer<typeof replySchema>;

export const asyncEventSchema = z
  .object({
    event: z.string(),
    async: z.boolean().optional(),
  })
  .loose();
export type HelperEvent = z.infer<typeof asyncEventSchema>;

// A refused request (unknown target, bad index) has ok:false and none of the result fields:
// HelperSession turns that into an error with the helper's own text.
export const accessReplySchema = replySchema.extend({ outcome: z.enum(['ok', 'sigbus']).optional() });
export const verifyReplySchema = replySchema.extend({ intact: z.boolean().optional(), firstMismatch: z.number().int().nullable().optional() });
export const syscallReplySchema = replySchema.extend({ ret: z.number().int() });
export const targetReplySchema = replySchema.extend({ target: targetSchema });
export const pfnsReplySchema = replySchema.extend({ pfns: z.array(hex) });
/** page-nodes / move-pages: each page's node, or a negative errno (-2 ENOENT: not present). */
const pageNodeSchema = z.object({ index: z.number().int().nonnegative(), node: z.number().int() });
export const pageNodesReplySchema = replySchema.extend({ nodes: z.array(pageNodeSchema) });
export const movePagesReplySchema = replySchema.extend({ ret: z.number().int(), before: z.array(pageNodeSchema).optional(), nodes: z.array(pageNodeSchema).optional(), target: targetSchema.optional() });
export type PageNode = z.infer<typeof pageNodeSchema>;
export const spinReplySchema = replySchema.extend({ outcome: z.enum(['ok', 'sigbus']), loops: z.number().int().nonnegative() });
