import fs from 'node:fs/promises';
import path from 'node:path';
import type { StepDecision } from './step-decision.ts';
import type { RoundRecord } from './step-rounds.ts';

/**
 * In a git bisect every step is its own `memharness bisect-step` process, started by
 * `git bisect run`; each appends one JSON line here so that `memharness bisect --git` can
 * report every step's runs, not only git's good/bad.
 */
export const STEP_LOG_FILE = 'steps.jsonl';

export interface GitStepRecord {
  number: number;
  commit: string;
  subject: string;
  /** The kernel the step ran, as given to the runner; null when the build failed. */
  kernelRef: string | null;
  /** Relative to the output directory. */
  dir: string;
  rounds: RoundRecord[];
  decision: Exclude<StepDecision, 'inconclusive'> | 'interrupted';
  reason: string;
  exitCode: number;
}

export async function appendStepRecord(outputDir: string, record: GitStepRecord): Promise<void> {
  await fs.mkdir(outputDir, { recursive: true });
  // One write of one line: appends by sequential steps never interleave.
  await fs.appendFile(path.join(outputDir, STEP_LOG_FILE), `${JSON.stringify(record)}\n`);
}

export async function readStepRecords(outputDir: string): Promise<GitStepRecord[]> {
  const text = await fs.readFile(path.join(outputDir, STEP_LOG_FILE), 'utf8').catch(() => '');
  const records: GitStepRecord[] = [];
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    try {
      records.push(JSON.parse(line) as GitStepRecord);
    } catch {
      // A line cut short by a killed step: the others still tell the story.
    }
  }
  return records;
}

/** The next step number: one more than the steps already logged or started in the directory. */
export async function nextStepNumber(outputDir: string): Promise<number> {
  const names = await fs.readdir(outputDir).catch(() => [] as string[]);
  const numbers = names.map((name) => /^(\d+)-/.exec(name)?.[1]).filter((n): n is string => n !== undefined).map(Number);
  return Math.max(0, ...numbers) + 1;
}
