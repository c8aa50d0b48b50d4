import type { CaseResult, RunError, RunResult } from '../results/run-result.ts';
import { ResultsWriter } from '../results/results-writer.ts';
import type { Reporter } from './reporter.ts';

/**
 * results.json behind the reporter interface: the results writer, which keeps the file
 * current after every case and run error. onCaseEnd returns the write, so the run moves on
 * only once the case is on disk.
 */
export class JsonReporter implements Reporter {
  readonly name = 'json';
  readonly writer: ResultsWriter;

  constructor(options: { outputDir: string }) {
    this.writer = new ResultsWriter(options.outputDir);
  }

  printsToStdio(): boolean {
    return false;
  }

  onBegin(run: RunResult): Promise<void> {
    return this.writer.begin(run);
  }

  onCaseBegin(): void {}

  onAttemptBegin(): void {}

  // An attempt is written with its case: results.json lists finished cases only.
  onAttemptEnd(): void {}

  onCaseEnd(_test: unknown, result: CaseResult): Promise<void> {
    return this.writer.addCase(result);
  }

  /** Into the run's `errors`, at once: a run killed right after still has it. */
  onError(error: RunError): Promise<void> {
    return this.writer.addError(error);
  }

  onEnd(run: RunResult): Promise<void> {
    return this.writer.finish(run);
  }
}
