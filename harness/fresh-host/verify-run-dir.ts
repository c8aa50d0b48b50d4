import fs from 'node:fs/promises';
import path from 'node:path';
import { readRunResult } from '../results/read-run-result.ts';
import type { RunResult } from '../results/run-result.ts';

/** What a run directory must hold for a first run to count as done. */
export interface RunDirCheck {
  run: RunResult | null;
  /** One line per thing missing or wrong; empty: complete and valid. */
  problems: string[];
  verdicts: Record<string, number>;
}

/** Verdicts a complete first run may hold: anything else (infra-error, crashed, failed) needs a look. */
const EXPECTED_VERDICTS = new Set(['passed', 'xfail', 'skipped', 'flaky']);

/**
 * Checks a run directory as a new user would look at it: results.json valid against the schema,
 * complete and not interrupted, at least `minCases` cases all with expected verdicts, every
 * artifact a case names present, and the files the default reporters write (report.html).
 */
export async function verifyRunDir(dir: string, options: { minCases: number; files: readonly string[] }): Promise<RunDirCheck> {
  const problems: string[] = [];
  let run: RunResult | null = null;
  try {
    run = await readRunResult(dir);
  } catch (error) {
    problems.push(error instanceof Error ? error.message : String(error));
  }
  const verdicts: Record<string, number> = {};
  if (run) {
    if (!run.complete) problems.push('results.json: complete is false');
    if (run.interrupted) problems.push('results.json: the run was interrupted');
    if (run.cases.length < options.minCases) problems.push(`results.json: ${run.cases.length} cases, expected at least ${options.minCases}`);
    for (const c of run.cases) {
      verdicts[c.verdict] = (verdicts[c.verdict] ?? 0) + 1;
      if (!EXPECTED_VERDICTS.has(c.verdict)) problems.push(`${c.key}: ${c.verdict}${c.failure ? `: ${c.failure.message.split('\n')[0]}` : c.crash ? `: ${c.crash.title}` : ''}`);
      for (const [name, file] of Object.entries(c.artifacts)) {
        if (file !== undefined && !(await exists(path.join(dir, file)))) problems.push(`${c.key}: artifact ${name} (${file}) is missing`);
      }
    }
  }
  for (const file of options.files) {
    const size = await fs.stat(path.join(dir, file)).then((s) => s.size, () => -1);
    if (size <= 0) problems.push(`${file}: ${size < 0 ? 'missing' : 'empty'}`);
  }
  return { run, problems, verdicts };
}

async function exists(file: string): Promise<boolean> {
  return fs.access(file).then(() => true, () => false);
}
