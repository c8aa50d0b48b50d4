import { z } from 'zod';
import type { TaintFlag } from '../kernel-log/crash/taint.ts';
import { guestSpecSchema } from '../vm/guest-spec.ts';
import { idSchema, referenceSchema, tagsSchema, xfailSchema } from './common-schema.ts';
import { durationSchema } from './duration.ts';
import { expectationSchema } from './expectation-schema.ts';
import { requirementSpecSchema } from './requirement-schema.ts';
import { parseTaintFlags } from './state-expectation.ts';
import { stepSchema } from './step-schema.ts';
import type { PlannedKeys } from './validate.ts';

/**
 * The shape of a suite file (suites/*.yaml). Validation happens in layers so that every
 * problem keeps its position: the suite's own keys here, each case after its parameters
 * are substituted (caseSchema), and the guest on its own (suiteGuestSchema) because a
 * case's guest is merged over the suite's.
 */

/**
 * A suite's `guest:` is the harness's guest spec, unchanged, topology included (NUMA nodes,
 * memory devices, pmem: harness/vm/topology.ts). Keys planned but not supported would be
 * listed in PLANNED_GUEST_KEYS, refused with their message rather than silently dropped.
 */
export const suiteGuestSchema = guestSpecSchema;
export const PLANNED_GUEST_KEYS: PlannedKeys = {};

/** What a case may leave behind without failing: by default no crash, and no new taint except M after a machine check. */
export interface Allowances {
  crash: boolean;
  taint: TaintFlag[];
  /** Crash reports known to be benign here (a page dump the case provokes), by regex on title or text. */
  reports: string[];
}

export const allowSchema = z.object({
  crash: z.boolean().optional(),
  reports: z
    .array(
      z.string().refine((source) => {
        try {
          new RegExp(source);
          return true;
        } catch {
          return false;
        }
      }, 'not a valid regular expression'),
    )
    .optional(),
  taint: z
    .unknown()
    .transform((value, ctx): TaintFlag[] => {
      const parsed = parseTaintFlags(value);
      if (typeof parsed === 'string') {
        ctx.addIssue({ code: 'custom', message: parsed });
        return z.NEVER;
      }
      return parsed;
    })
    .optional(),
});

/** Case fields also allowed at suite level act as defaults for every case. */
export const suiteHeaderSchema = z.object({
  suite: idSchema,
  title: z.string().min(1),
  description: z.string().optional(),
  tags: tagsSchema,
  reference: referenceSchema.optional(),
  requires: requirementSpecSchema.optional(),
  /** Checked by suiteGuestSchema, separately. */
  guest: z.looseObject({}).optional(),
  /** Default per-case timeout. */
  timeout: durationSchema.optional(),
  allow: allowSchema.optional(),
  cases: z.array(z.looseObject({})).min(1),
});

export type SuiteHeader = z.output<typeof suiteHeaderSchema>;

const scalarSchema = z.union([z.string().min(1), z.number(), z.boolean()]);
export type ParameterValue = z.output<typeof scalarSchema>;

/** `parameters: { target: [anon, shmem], method: [debugfs, mce-srao] }` and the combinations to leave out. */
export const parametersSchema = z.object({
  parameters: z.record(z.string().regex(/^[a-z][A-Za-z0-9_]*$/, 'a parameter name: a lowercase letter, then letters, digits or _'), z.array(scalarSchema).min(1)).optional(),
  exclude: z.array(z.record(z.string(), scalarSchema)).optional(),
});

/** One case after parameter substitution. */
export const caseSchema = z.object({
  id: idSchema,
  title: z.string().min(1),
  description: z.string().optional(),
  tags: tagsSchema,
  reference: referenceSchema.optional(),
  /** Checked by parametersSchema before substitution. */
  parameters: z.unknown().optional(),
  exclude: z.unknown().optional(),
  requires: requirementSpecSchema.optional(),
  guest: z.looseObject({}).optional(),
  timeout: durationSchema.optional(),
  allow: allowSchema.optional(),
  xfail: xfailSchema.optional(),
  steps: z.array(stepSchema).min(1),
  expect: z.array(expectationSchema).default([]),
});

export type CaseBody = z.output<typeof caseSchema>;

/** Under TCG a boot is 4–10 s and a machine check takes seconds to settle: five minutes is generous. */
export const DEFAULT_CASE_TIMEOUT_MS = 300_000;
