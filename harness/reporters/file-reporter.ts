import path from 'node:path';
import fs from 'node:fs/promises';
import { writeFileAtomic } from '../results/atomic-write.ts';
import type { RunResult } from '../results/run-result.ts';
import type { Reporter, RunError } from './reporter.ts';

export type RenderRun = (run: RunResult, errors: readonly RunError[]) => string | Promise<string>;

/**
 * A report written once, at the end, from the final RunResult (junit.xml, results.ktap,
 * report.html). Written atomically like results.json, so a CI job never picks up half a file.
 * The run errors it shows are the RunResult's (`errors`), as its cases are; for a RunResult
 * from before results kept them, the ones onError delivered.
 */
export class FileReporter implements Reporter {
  readonly name: string;
  readonly file: string;
  private readonly render: RenderRun;
  private readonly errors: RunError[] = [];

  constructor(options: { name: string; file: string; render: RenderRun }) {
    this.name = options.name;
    this.file = options.file;
    this.render = options.render;
  }

  printsToStdio(): boolean {
    return false;
  }

  onBegin(): void {}

  onCaseBegin(): void {}

  onAttemptBegin(): void {}

  onAttemptEnd(): void {}

  onCaseEnd(): void {}

  onError(error: RunError): void {
    this.errors.push(error);
  }

  async onEnd(run: RunResult): Promise<void> {
    const text = await this.render(run, run.errors ?? this.errors);
    await fs.mkdir(path.dirname(this.file), { recursive: true });
    await writeFileAtomic(this.file, text);
  }
}
