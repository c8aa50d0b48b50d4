import fs from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { writeFileAtomic } from '../results/atomic-write.ts';
import { VERDICTS } from '../results/run-result.ts';
import { HarnessError } from '../util/errors.ts';

/**
 * DIR/bisect.json: everything a Debian-range bisect decided, written after every round so
 * that a bisect stopped at any instant (Ctrl-C, a crash, a reboot) continues where it was,
 * and what the final report is made from.
 */
export const STATE_FILE = 'bisect.json';

const classifiedRunSchema = z.object({
  repeatIndex: z.number().int(),
  verdict: z.enum(VERDICTS),
  crashTitle: z.string().optional(),
  crashKey: z.string().optional(),
  message: z.string().optional(),
  durationMs: z.number().optional(),
  outcome: z.enum(['fail', 'pass', 'skip']),
  why: z.string(),
  /** One line; absent in states saved before reasons were kept (their `why` held the crash title or message). */
  reason: z.string().optional(),
});

const roundSchema = z.object({ round: z.number().int().min(1), runs: z.array(classifiedRunSchema) });

const stepSchema = z.object({
  /** 1-based, in the order the steps were started; the NN of steps/NN-<abi>/. */
  number: z.number().int().min(1),
  candidate: z.number().int().min(0),
  abi: z.string(),
  role: z.enum(['good-end', 'bad-end', 'search']),
  /** Relative to the bisect directory. */
  dir: z.string(),
  rounds: z.array(roundSchema),
  /** Null while the step is still running (or was interrupted). */
  decision: z.enum(['failing', 'passing', 'skip']).nullable(),
  reason: z.string().nullable(),
  verdict: z.enum(['old', 'new', 'skip']).nullable(),
});

const candidateSchema = z.object({
  abi: z.string(),
  package: z.string(),
  debianVersion: z.string(),
  upstreamVersion: z.string(),
});

/** What identifies a bisect: another value for any of these is another bisect. */
const argsSchema = z.object({
  good: z.string(),
  bad: z.string(),
  case: z.string(),
  suiteFile: z.string(),
  runs: z.number().int(),
  badThreshold: z.number().int(),
  fix: z.boolean(),
});

const resultSchema = z.object({
  lastOld: z.string(),
  firstNew: z.string(),
  /** More than one when skipped builds sit just before firstNew. */
  suspects: z.array(z.string()),
});

export const bisectStateSchema = z.object({
  schemaVersion: z.literal(1),
  args: argsSchema,
  /** sha256 of the suite file when the bisect started: an edit since is worth a warning. */
  suiteSha256: z.string(),
  /** The builds between the ends, oldest first, as the archive offered them when the bisect started. */
  candidates: z.array(candidateSchema),
  /** Normalised crash titles seen where the case fails: a crash with another title is a skip. */
  referenceCrashTitles: z.array(z.string()).nullable(),
  steps: z.array(stepSchema),
  result: resultSchema.nullable(),
  /** Set when the ends did not behave as claimed: the bisect stops there. */
  endpointProblem: z.string().nullable(),
  /** The changelog summary of the result (the report's last section). */
  changes: z.unknown().optional(),
  startedAt: z.string(),
  updatedAt: z.string(),
});

export type BisectState = z.infer<typeof bisectStateSchema>;
export type BisectArgs = z.infer<typeof argsSchema>;
export type BisectStep = z.infer<typeof stepSchema>;
export type BisectCandidate = z.infer<typeof candidateSchema>;

export async function readBisectState(dir: string): Promise<BisectState | null> {
  const file = path.join(dir, STATE_FILE);
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new HarnessError('usage', `${file} is not JSON (${error instanceof Error ? error.message : String(error)}): not a bisect this harness can continue`, {
      hint: 'give another --output, or delete the directory to start over',
    });
  }
  const parsed = bisectStateSchema.safeParse(value);
  if (!parsed.success) {
    const problems = parsed.error.issues.slice(0, 5).map((issue) => `${issue.path.join('.') || '(top level)'}: ${issue.message}`);
    throw new HarnessError('usage', `${file} is not a bisect state this harness can continue:\n${problems.join('\n')}`, {
      hint: 'give another --output, or delete the directory to start over',
    });
  }
  return parsed.data;
}

export async function writeBisectState(dir: string, state: BisectState): Promise<void> {
  await fs.mkdir(dir, { recursive: true });
  state.updatedAt = new Date().toISOString();
  await writeFileAtomic(path.join(dir, STATE_FILE), `${JSON.stringify(state, null, 2)}\n`);
}

const FLAG_OF: Record<keyof BisectArgs, string> = {
  good: '--good',
  bad: '--bad',
  case: '--case',
  suiteFile: 'the suite file',
  runs: '--runs',
  badThreshold: '--bad-threshold',
  fix: '--fix',
};

/**
 * Refuses to continue a saved bisect with other arguments: its decided steps answer another
 * question, and mixing them in would give a wrong answer that looks right.
 */
export function checkSameArgs(saved: BisectArgs, wanted: BisectArgs, dir: string): void {
  const differences = (Object.keys(FLAG_OF) as Array<keyof BisectArgs>)
    .filter((key) => saved[key] !== wanted[key])
    .map((key) => `${FLAG_OF[key]}: saved ${JSON.stringify(saved[key])}, now ${JSON.stringify(wanted[key])}`);
  if (differences.length === 0) return;
  throw new HarnessError('usage', `${path.join(dir, STATE_FILE)} holds a bisect with other arguments, so it cannot be continued:\n  ${differences.join('\n  ')}`, {
    hint: `run with the saved arguments to continue it, or give another --output (or delete ${dir}) to start a new bisect`,
  });
}
