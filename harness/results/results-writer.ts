import fs from 'node:fs/promises';
import path from 'node:path';
import { writeFileAtomic } from './atomic-write.ts';
import { RESULTS_FILE } from './run-dirs.ts';
import type { CaseResult, RunError, RunResult } from './run-result.ts';

type RunHead = Omit<RunResult, 'cases'>;

/**
 * results.json laid out for people as well as programs: the run's metadata indented, then one
 * case per line (diffs and `grep` stay readable, and each case is serialised only once however
 * often the file is rewritten).
 */
export function formatResultsJson(head: RunHead, caseLines: readonly string[]): string {
  const headJson = JSON.stringify(head, null, 2);
  // JSON.stringify of a non-empty object ends with "\n}": reopen it to append the cases last.
  const open = headJson.slice(0, -2);
  const cases = caseLines.length > 0 ? `[\n${caseLines.join(',\n')}\n  ]` : '[]';
  return `${open},\n  "cases": ${cases}\n}\n`;
}

function headOf(run: RunResult): RunHead {
  const { cases: _cases, ...head } = run;
  return head;
}

/**
 * Keeps results/<run-id>/results.json current for the whole run: rewritten atomically at the
 * start, after every case and run error and at the end, so a run killed at any moment leaves
 * a valid file listing the cases it finished and the errors it had, with `complete: false`.
 * Writes are queued: they land in call order and never overlap.
 */
export class ResultsWriter {
  readonly file: string;
  private head: RunHead | null = null;
  private caseLines: string[] = [];
  private early: RunError[] = [];
  private queue: Promise<void> = Promise.resolve();

  constructor(runDir: string) {
    this.file = path.join(runDir, RESULTS_FILE);
  }

  /** Starts the file with the run's metadata; the run is marked incomplete until finish(). */
  begin(run: RunResult): Promise<void> {
    this.head = { ...headOf(run), complete: false, endedAt: null, errors: [...(run.errors ?? []), ...this.early] };
    this.early = [];
    this.caseLines = run.cases.map((result) => JSON.stringify(result));
    return this.enqueue(async () => {
      await fs.mkdir(path.dirname(this.file), { recursive: true });
    });
  }

  addCase(result: CaseResult): Promise<void> {
    if (!this.head) return Promise.reject(new Error('ResultsWriter.addCase called before begin'));
    this.caseLines.push(JSON.stringify(result));
    return this.enqueue();
  }

  /** A run error, written at once; one reported before begin() is kept for it. */
  addError(error: RunError): Promise<void> {
    if (!this.head) {
      this.early.push(error);
      return Promise.resolve();
    }
    this.head = { ...this.head, errors: [...(this.head.errors ?? []), error] };
    return this.enqueue();
  }

  /** Writes the final RunResult as given: it is the authority on cases, errors, `complete` and `interrupted`. */
  finish(run: RunResult): Promise<void> {
    this.head = headOf(run);
    this.caseLines = run.cases.map((result) => JSON.stringify(result));
    return this.enqueue();
  }

  private enqueue(before?: () => Promise<void>): Promise<void> {
    const write = this.queue.then(async () => {
      await before?.();
      // Serialised when the write runs, not when it was asked for: a queued write carries
      // everything known by then.
      if (this.head) await writeFileAtomic(this.file, formatResultsJson(this.head, this.caseLines));
    });
    // One failed write (disk full) must not wedge the later ones.
    this.queue = write.catch(() => {});
    return write;
  }
}
