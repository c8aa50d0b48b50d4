import type { CaseResult, RunResult } from '../results/run-result.ts';
import { ResultsWriter } from '../results/results-writer.ts';
import type { Reporter } from './reporter.ts';

/**
 * results.json behind the reporter interface: the results writer, which keeps the file
 * current after every case. onCaseEnd returns the write, so the run moves on only once the
 * case is on disk.
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

  onCaseEnd(result: CaseResult): Promise<void> {
    return this.writer.addCase(result);
  }

  // results.json has no place for errors outside cases: an aborted run shows as incomplete.
  onError(): void {}

  onEnd(run: RunResult): Promise<void> {
    return this.writer.finish(run);
  }
}
