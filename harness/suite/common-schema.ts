import { z } from 'zod';
import { conditionSchema, type Requirement } from './requirement-schema.ts';
import { HELPER_REF_NAME, TARGET_NAME } from './value-ref.ts';

/** Suite, case and step ids: they end up in result keys, file names and --filter patterns. */
export const ID_PATTERN = /^[a-z0-9][a-z0-9._-]{0,79}$/;
export const idSchema = z.string().regex(ID_PATTERN, 'an id: lowercase letters, digits, . _ - (starting with a letter or digit)');

export const targetNameSchema = z
  .string()
  .regex(TARGET_NAME, 'a target name: a lowercase letter, then letters, digits or _ (e.g. t0)')
  .refine((name) => name !== HELPER_REF_NAME, `'${HELPER_REF_NAME}' is reserved ($helper is the helper process)`);

/** Free text pointing at the kernel: a file and function, or an upstream commit id or title. */
export const referenceSchema = z
  .union([z.string().min(1), z.array(z.string().min(1)).min(1)])
  .transform((value): string[] => (Array.isArray(value) ? value : [value]));

export const tagsSchema = z.array(z.string().regex(/^[a-z0-9][a-z0-9._-]*$/, 'a tag: lowercase letters, digits, . _ -')).default([]);

/**
 * Expected to fail, with why and where the fix (or the bug) is: an upstream commit id or
 * title. `when` limits it to some kernels ("fails on 6.1 until X is backported").
 */
export interface Xfail {
  reason: string;
  reference: string;
  when: Requirement[] | null;
}

export const xfailSchema = z
  .object({
    reason: z.string().min(1),
    reference: z.string().min(1),
    when: conditionSchema.optional(),
  })
  .transform((value): Xfail => ({ reason: value.reason, reference: value.reference, when: value.when ?? null }));

/** What a step or expectation carries besides its own content. */
export const modifiersShape = {
  when: conditionSchema.optional(),
  xfail: xfailSchema.optional(),
};
