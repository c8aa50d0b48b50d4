import { z } from 'zod';
import { sigbusSchema } from '../guest-helper/helper-messages.ts';
import { INJECTION_METHODS, type InjectionRecord } from '../inject/injection.ts';
import type { StateDiff } from '../state/state-diff.ts';
import { MEMORY_FAILURE_COUNTERS } from '../state/state-snapshot.ts';
import { RECOVERY_KINDS, VERDICTS, type CaseResult, type RunResult } from './run-result.ts';

/**
 * results.json as zod sees it. It mirrors run-result.ts field by field; the assignability
 * checks at the bottom make `tsc` fail when the two drift apart. Unknown fields are dropped,
 * not rejected, so a results.json from a newer harness with extra fields still reads.
 */

function availability<T extends z.ZodType>(value: T) {
  return z.discriminatedUnion('available', [
    z.object({ available: z.literal(true), value }),
    z.object({ available: z.literal(false), reason: z.string() }),
  ]);
}

const numberChange = z.object({ before: z.number(), after: z.number(), delta: z.number() });
const textChange = z.object({ before: z.string().nullable(), after: z.string().nullable() });
const valueChange = z.object({ before: z.string().nullable(), after: z.string().nullable(), delta: z.number().optional() });

export const stateDiffSchema = z.object({
  meminfo: z.record(z.string(), numberChange),
  tainted: availability(
    z.object({ before: z.number(), after: z.number(), addedBits: z.array(z.number()), removedBits: z.array(z.number()) }),
  ),
  memoryFailure: z.record(z.string(), availability(z.partialRecord(z.enum(MEMORY_FAILURE_COUNTERS), numberChange))),
  hugepages: z.record(z.string(), z.record(z.string(), z.partialRecord(z.enum(['nr', 'free', 'surplus']), numberChange))),
  memoryBlocks: z.record(z.string(), z.object({ state: textChange.optional(), validZones: textChange.optional(), present: textChange.optional() })),
  pages: z.record(
    z.string(),
    availability(z.object({ before: z.array(z.string()), after: z.array(z.string()), set: z.array(z.string()), cleared: z.array(z.string()) })),
  ),
  // Optional: results written before `file:` and cgroup state have neither.
  files: z.record(z.string(), valueChange).optional(),
  cgroups: z.record(z.string(), z.record(z.string(), valueChange)).optional(),
});

export const injectionRecordSchema = z.object({
  method: z.enum(INJECTION_METHODS),
  target: z.object({ kind: z.string(), pfn: z.string(), physAddr: z.string(), vaddr: z.string().optional(), preparedPfn: z.string().optional() }),
  action: z.string(),
  startedAtMs: z.number(),
  endedAtMs: z.number(),
  result: z.object({
    ok: z.boolean(),
    errno: z.string().optional(),
    message: z.string().optional(),
    sigbus: sigbusSchema.nullable().optional(),
  }),
});

export const kernelInfoSchema = z.object({
  id: z.string().min(1),
  release: z.string(),
  debianPackage: z.string().optional(),
  debianVersion: z.string().optional(),
  upstreamVersion: z.string().optional(),
});

export const failureInfoSchema = z.object({
  message: z.string(),
  expectation: z.string().optional(),
  expected: z.unknown().optional(),
  actual: z.unknown().optional(),
  location: z.string().optional(),
});

export const crashInfoSchema = z.object({
  title: z.string(),
  normalisedTitle: z.string().optional(),
  kind: z.string(),
  report: z.string(),
  taint: z.string().optional(),
  corrupted: z.boolean().optional(),
  corruptedReason: z.string().optional(),
  disposition: z.enum(['unexpected', 'expected', 'allowed']).optional(),
});

const verdict = z.enum(VERDICTS);

export const attemptResultSchema = z.object({
  attempt: z.number().int().positive(),
  verdict: verdict.exclude(['flaky']),
  durationMs: z.number().nonnegative(),
  failure: failureInfoSchema.optional(),
  crash: crashInfoSchema.optional(),
  crashes: z.array(crashInfoSchema).optional(),
  lostLogRecords: z.number().int().nonnegative().optional(),
  isolation: z.enum(['restore', 'boot']),
  recoveries: z.array(z.object({ what: z.enum(RECOVERY_KINDS), message: z.string() })).optional(),
});

export const caseResultSchema = z.object({
  key: z.string().min(1),
  suite: z.string(),
  caseId: z.string(),
  title: z.string(),
  tags: z.array(z.string()),
  parameters: z.record(z.string(), z.string()),
  reference: z.string().optional(),
  kernel: kernelInfoSchema,
  repeatIndex: z.number().int().nonnegative(),
  verdict,
  skipReason: z.string().optional(),
  durationMs: z.number().nonnegative(),
  attempts: z.array(attemptResultSchema),
  failure: failureInfoSchema.optional(),
  crash: crashInfoSchema.optional(),
  crashes: z.array(crashInfoSchema).optional(),
  lostLogRecords: z.number().int().nonnegative().optional(),
  injections: z.array(injectionRecordSchema),
  events: z.array(z.looseObject({ type: z.string(), text: z.string(), atMs: z.number().optional() })),
  stateDiff: stateDiffSchema.optional(),
  steps: z
    .array(
      z.object({
        index: z.number().int(),
        kind: z.string(),
        location: z.string(),
        status: z.enum(['done', 'skipped', 'failed']),
        summary: z.string(),
        durationMs: z.number(),
        // Absent in results written before they were kept.
        exit: z.number().int().nullable().optional(),
        stdout: z.string().optional(),
        stderr: z.string().optional(),
        // program steps only.
        pid: z.number().int().optional(),
        signal: z.string().nullable().optional(),
        sigbus: z.array(z.object({ code: z.string().nullable(), addr: z.string().nullable(), async: z.boolean().nullable(), source: z.string(), pid: z.number().int(), line: z.string() })).optional(),
      }),
    )
    .optional(),
  checks: z
    .array(
      z.object({
        location: z.string(),
        text: z.string(),
        status: z.enum(['passed', 'failed', 'not-available', 'not-applicable', 'not-run']),
        xfail: z.boolean(),
        message: z.string().optional(),
      }),
    )
    .optional(),
  // Values are never undefined in JSON; the model allows it only for optional named paths.
  artifacts: z.record(z.string(), z.string().optional()),
});

export const runResultSchema = z.object({
  schemaVersion: z.literal(1),
  runId: z.string().min(1),
  harnessVersion: z.string(),
  startedAt: z.iso.datetime({ offset: true }),
  endedAt: z.iso.datetime({ offset: true }).nullable(),
  complete: z.boolean(),
  interrupted: z.boolean(),
  host: z.object({ hostname: z.string(), cpus: z.number().int(), memoryMiB: z.number(), kernel: z.string() }),
  qemu: z.string(),
  accelerator: z.object({ accel: z.enum(['kvm', 'tcg']), reason: z.string() }),
  kernels: z.array(kernelInfoSchema),
  suites: z.array(z.object({ path: z.string(), sha256: z.string() })),
  shard: z.object({ index: z.number().int().positive(), total: z.number().int().positive() }).optional(),
  workers: z.number().int().positive().optional(),
  stopReason: z.string().optional(),
  // Absent in results written before run errors were kept.
  errors: z.array(z.object({ message: z.string(), location: z.string().optional() })).optional(),
  cases: z.array(caseResultSchema),
});

// Drift guards: each direction must type-check, or the schema no longer describes the model.
type Assignable<From, To> = [From] extends [To] ? true : false;
const drift = {
  runOut: true satisfies Assignable<z.output<typeof runResultSchema>, RunResult>,
  runIn: true satisfies Assignable<RunResult, z.input<typeof runResultSchema>>,
  caseOut: true satisfies Assignable<z.output<typeof caseResultSchema>, CaseResult>,
  injectionIn: true satisfies Assignable<InjectionRecord, z.input<typeof injectionRecordSchema>>,
  stateDiffIn: true satisfies Assignable<StateDiff, z.input<typeof stateDiffSchema>>,
  stateDiffOut: true satisfies Assignable<z.output<typeof stateDiffSchema>, StateDiff>,
};
void drift;
