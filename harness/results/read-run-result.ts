import fs from 'node:fs/promises';
import path from 'node:path';
import type { z } from 'zod';
import { HarnessError } from '../util/errors.ts';
import { RESULTS_FILE } from './run-dirs.ts';
import { runResultSchema } from './run-result-schema.ts';
import type { RunResult } from './run-result.ts';

const MAX_PROBLEMS = 20;

/** `cases[3].failure.message`, the way a person would look the field up in the file. */
export function formatIssuePath(issuePath: readonly PropertyKey[]): string {
  let out = '';
  for (const part of issuePath) {
    if (typeof part === 'number') out += `[${part}]`;
    else out += out ? `.${String(part)}` : String(part);
  }
  return out || '(top level)';
}

/** One "file: where: what" line per problem, so each can be found in the file. */
export function describeIssues(file: string, issues: readonly z.core.$ZodIssue[]): string[] {
  const lines = issues.slice(0, MAX_PROBLEMS).map((issue) => `${file}: ${formatIssuePath(issue.path)}: ${issue.message}`);
  if (issues.length > MAX_PROBLEMS) lines.push(`${file}: … and ${issues.length - MAX_PROBLEMS} more problems`);
  return lines;
}

/** Validates a parsed results.json; throws a usage error naming every problem. */
export function parseRunResult(value: unknown, file: string): RunResult {
  if (value && typeof value === 'object' && 'schemaVersion' in value && value.schemaVersion !== 1) {
    throw new HarnessError('usage', `${file}: schemaVersion ${JSON.stringify(value.schemaVersion)} is not one this harness reads (it reads 1)`, {
      hint: 'read it with the memharness version that wrote it (see its harnessVersion)',
    });
  }
  const parsed = runResultSchema.safeParse(value);
  if (!parsed.success) {
    throw new HarnessError('usage', `${file} is not a valid results file:\n${describeIssues(file, parsed.error.issues).join('\n')}`);
  }
  return parsed.data;
}

/** Reads and validates results.json of a run directory (or the results.json path itself). */
export async function readRunResult(dir: string): Promise<RunResult> {
  return readRunResultFile(path.basename(dir) === RESULTS_FILE ? dir : path.join(dir, RESULTS_FILE));
}

/** Reads and validates a results file under any name (a baseline kept as `6.1-baseline.json`). */
export async function readRunResultFile(file: string): Promise<RunResult> {
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new HarnessError('usage', `${file}: ${code === 'ENOENT' ? 'no such file' : `cannot read: ${(error as Error).message}`}`, {
      hint: code === 'ENOENT' ? 'is this a run directory? runs live under results/<run-id>/' : undefined,
      cause: error,
    });
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new HarnessError('usage', `${file}: not JSON: ${(error as Error).message}`, { cause: error });
  }
  return parseRunResult(value, file);
}
