import type { AttemptResult, CaseResult, RunResult } from '../results/run-result.ts';
import type { AttemptBeginInfo, Reporter, ReporterCase, RunError, RunPlan } from './reporter.ts';

export interface ReporterFailure {
  reporter: string;
  hook: string;
  error: unknown;
}

export type ReporterFailureHandler = (failure: ReporterFailure) => void;

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

const stderrFailureHandler: ReporterFailureHandler = (failure) => {
  process.stderr.write(`memharness: the ${failure.reporter} reporter failed in ${failure.hook}: ${describe(failure.error)}\n`);
};

/**
 * Fans every event out to several reporters, one after the other in a fixed order. A reporter
 * that throws must not cost the run its other outputs (a broken HTML template must not lose
 * results.json), so each call is isolated; failures are kept so the command can still exit
 * with an infra error when, say, junit.xml could not be written.
 */
export class Multiplexer implements Reporter {
  readonly name = 'multiplexer';
  readonly failures: ReporterFailure[] = [];
  readonly reporters: readonly Reporter[];
  private readonly onFailure: ReporterFailureHandler;

  constructor(reporters: readonly Reporter[], options: { onFailure?: ReporterFailureHandler } = {}) {
    this.reporters = reporters;
    this.onFailure = options.onFailure ?? stderrFailureHandler;
  }

  private async each(hook: string, call: (reporter: Reporter) => void | Promise<void>): Promise<void> {
    for (const reporter of this.reporters) {
      try {
        await call(reporter);
      } catch (error) {
        const failure = { reporter: reporter.name, hook, error };
        this.failures.push(failure);
        try {
          this.onFailure(failure);
        } catch {
          // The failure is recorded in `failures`; a broken handler must not stop the others.
        }
      }
    }
  }

  onBegin(run: RunResult, plan: RunPlan): Promise<void> {
    return this.each('onBegin', (r) => r.onBegin(run, plan));
  }

  onCaseBegin(test: ReporterCase): Promise<void> {
    return this.each('onCaseBegin', (r) => r.onCaseBegin(test));
  }

  onAttemptBegin(test: ReporterCase, attempt: AttemptBeginInfo): Promise<void> {
    return this.each('onAttemptBegin', (r) => r.onAttemptBegin(test, attempt));
  }

  onAttemptEnd(test: ReporterCase, attempt: AttemptResult): Promise<void> {
    return this.each('onAttemptEnd', (r) => r.onAttemptEnd(test, attempt));
  }

  onCaseEnd(test: ReporterCase, result: CaseResult): Promise<void> {
    return this.each('onCaseEnd', (r) => r.onCaseEnd(test, result));
  }

  onError(error: RunError): Promise<void> {
    return this.each('onError', (r) => r.onError(error));
  }

  onEnd(run: RunResult): Promise<void> {
    return this.each('onEnd', (r) => r.onEnd(run));
  }

  printsToStdio(): boolean {
    return this.reporters.some((reporter) => {
      try {
        return reporter.printsToStdio();
      } catch {
        return true;
      }
    });
  }
}
