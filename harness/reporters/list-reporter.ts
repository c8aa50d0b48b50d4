import { KERNEL_FAILURE_VERDICTS, type AttemptResult, type CaseResult, type RunResult } from '../results/run-result.ts';
import { caseLongName, kernelLabel } from './case-naming.ts';
import { caseProblem } from './case-problem.ts';
import { recoveryLines, stepOutputLines } from './failure-text.ts';
import { summaryLines } from './list-summary.ts';
import { formatRunError, type AttemptBeginInfo, type Reporter, type ReporterCase, type RunError, type RunPlan } from './reporter.ts';
import { capText } from './text/cap-text.ts';
import { createPaint, type Paint } from './text/colours.ts';
import { escapeControl } from './text/escape-text.ts';
import { formatDuration } from './text/format-duration.ts';
import { VERDICT_STYLES } from './verdict-style.ts';

/** The little of a stream the reporter needs; a TTY adds `columns`. */
export interface TextSink {
  write(text: string): unknown;
  columns?: number;
}

export interface ListReporterOptions {
  stream: TextSink;
  isTTY: boolean;
  colours: boolean;
  outputDir?: string;
  now?: () => number;
  maxMessageChars?: number;
  slowest?: number;
}

const CLEAR_LINE = '\r\x1b[K';

/** A case in flight: which attempt it is on and since when. */
interface RunningCase {
  test: ReporterCase;
  attempt: number;
  startedAt: number;
}

/**
 * Progress and results on the terminal. On a TTY a status line (case n of N, kernel, elapsed)
 * is redrawn in place; in a CI log every attempt gets a start line instead, so a case that
 * hangs until the job is killed can still be named. Cases in flight are kept by their planned
 * id: two repeats of one case on two workers are two entries. Guest text is escaped and
 * capped everywhere.
 */
export class ListReporter implements Reporter {
  readonly name = 'list';
  private readonly options: ListReporterOptions;
  private readonly paint: Paint;
  private readonly now: () => number;
  private readonly errors: RunError[] = [];
  private runStartedAt = 0;
  private readonly running = new Map<string, RunningCase>();
  private timer: NodeJS.Timeout | null = null;
  private statusShown = false;

  constructor(options: ListReporterOptions) {
    this.options = options;
    this.paint = createPaint(options.colours);
    this.now = options.now ?? Date.now;
  }

  printsToStdio(): boolean {
    return true;
  }

  onBegin(run: RunResult, plan: RunPlan): void {
    this.runStartedAt = this.now();
    const kernels = plan.kernels.map(kernelLabel).join(', ');
    const shard = run.shard ? `, shard ${run.shard.index} of ${run.shard.total}` : '';
    this.print(
      `Running ${plan.total} case${plan.total === 1 ? '' : 's'} on ${plan.kernels.length} kernel${plan.kernels.length === 1 ? '' : 's'}` +
        `${kernels ? ` (${escapeControl(kernels)})` : ''}${shard}, accel ${run.accelerator.accel}` +
        this.paint.dim(` (${escapeControl(run.accelerator.reason)})`),
    );
  }

  // A case shows as running from its first attempt on: a skipped case never runs.
  onCaseBegin(_test: ReporterCase): void {}

  onAttemptBegin(test: ReporterCase, attempt: AttemptBeginInfo): void {
    this.running.set(test.id, { test, attempt: attempt.attempt, startedAt: this.now() });
    if (this.options.isTTY) {
      this.drawStatus();
      if (!this.timer) {
        this.timer = setInterval(() => this.drawStatus(), 1000);
        this.timer.unref();
      }
    } else {
      this.print(this.paint.dim(`  … ${this.position(test)} ${escapeControl(this.runningName(test))}${this.attemptNote(attempt.attempt)}`));
    }
  }

  // The case line at onCaseEnd says what each attempt did.
  onAttemptEnd(_test: ReporterCase, _attempt: AttemptResult): void {}

  onCaseEnd(test: ReporterCase, result: CaseResult): void {
    this.running.delete(test.id);
    const style = VERDICT_STYLES[result.verdict];
    const label = result.verdict === 'passed' ? '' : ` ${this.paint[style.colour](style.label)}`;
    const position = this.position(test);
    const name = capText(escapeControl(caseLongName(result)), this.options.maxMessageChars ?? 300);
    const lines = [`  ${this.paint[style.colour](style.symbol)} ${position} ${name}${label} ${this.paint.dim(`(${formatDuration(result.durationMs)})`)}`];
    for (const detail of this.details(result)) lines.push(`      ${detail}`);
    this.print(lines.join('\n'));
  }

  onError(error: RunError): void {
    this.errors.push(error);
    const text = capText(escapeControl(formatRunError(error), { multiline: true }), 2000).replace(/\n/g, '\n    ');
    this.print(this.paint.magenta(`  ! error: ${text}`));
  }

  async onEnd(run: RunResult): Promise<void> {
    this.stopTimer();
    this.running.clear();
    this.print(
      summaryLines(run, {
        paint: this.paint,
        errors: this.errors,
        outputDir: this.options.outputDir,
        elapsedMs: this.now() - this.runStartedAt,
        slowest: this.options.slowest,
        maxMessageChars: this.options.maxMessageChars,
      }).join('\n'),
    );
  }

  private details(result: CaseResult): string[] {
    const max = this.options.maxMessageChars ?? 300;
    const problem = caseProblem(result);
    const lines: string[] = [];
    if (problem) lines.push(capText(escapeControl(problem), max));
    if (KERNEL_FAILURE_VERDICTS.includes(result.verdict) || result.verdict === 'infra-error') {
      if (result.failure?.expectation) lines.push(this.paint.dim(`expectation: ${capText(escapeControl(result.failure.expectation), max)}`));
      if (result.failure?.location) lines.push(this.paint.dim(`at ${escapeControl(result.failure.location)}`));
      for (const line of stepOutputLines(result)) lines.push(this.paint.dim(capText(escapeControl(line), max)));
      if (result.artifacts.console) lines.push(this.paint.dim(`console: ${escapeControl(result.artifacts.console)}`));
    }
    // Whatever the verdict: a pass that needed a second restore is worth knowing about.
    for (const line of recoveryLines(result.attempts)) lines.push(this.paint.dim(capText(escapeControl(line), max)));
    return lines.map((line) => (result.verdict === 'xfail' ? this.paint.dim(line) : line));
  }

  private position(test: ReporterCase): string {
    return `[${test.index}/${test.total}]`;
  }

  private runningName(test: ReporterCase): string {
    return `${kernelLabel(test.kernel)} › ${test.title}${test.repeatIndex > 0 ? ` (repeat ${test.repeatIndex + 1})` : ''}`;
  }

  private attemptNote(attempt: number): string {
    return attempt > 1 ? ` (attempt ${attempt})` : '';
  }

  /** Everything printed goes through here, so the status line is never left half-overwritten. */
  private print(text: string): void {
    if (this.statusShown) this.options.stream.write(CLEAR_LINE);
    this.statusShown = false;
    this.options.stream.write(`${text}\n`);
    if (this.options.isTTY && this.running.size > 0) this.drawStatus();
  }

  private drawStatus(): void {
    if (this.running.size === 0) return;
    const now = this.now();
    // Several workers: every running case, oldest first, each with its own elapsed time.
    const cases = [...this.running.values()].map(({ test, attempt, startedAt }) => `${this.position(test)} ${this.runningName(test)}${this.attemptNote(attempt)} ${formatDuration(now - startedAt)}`);
    const text = `${cases.join(' | ')} (run ${formatDuration(now - this.runStartedAt)})`;
    // A status line that wraps cannot be redrawn with \r: keep it within the terminal.
    const width = Math.max(20, (this.options.stream.columns ?? 100) - 1);
    this.options.stream.write(`${CLEAR_LINE}${this.paint.cyan(capStatus(escapeControl(text), width))}`);
    this.statusShown = true;
  }

  private stopTimer(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    if (this.statusShown) this.options.stream.write(CLEAR_LINE);
    this.statusShown = false;
  }
}

function capStatus(text: string, width: number): string {
  return text.length <= width ? text : `${text.slice(0, width - 1)}…`;
}
