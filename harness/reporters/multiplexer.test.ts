import { describe, expect, it } from 'vitest';
import type { AttemptResult, CaseResult, RunResult } from '../results/run-result.ts';
import { Multiplexer, type ReporterFailure } from './multiplexer.ts';
import type { AttemptBeginInfo, Reporter, ReporterCase } from './reporter.ts';
import { replayToReporters } from './replay.ts';
import { sampleRun } from './testing/sample-run.ts';

class Recorder implements Reporter {
  readonly events: string[] = [];
  constructor(
    readonly name: string,
    private readonly throwIn: string | null = null,
    private readonly stdio = false,
  ) {}
  private note(event: string): void {
    this.events.push(event);
    if (event.startsWith(this.throwIn ?? '\0')) throw new Error(`${this.name} broke in ${event}`);
  }
  onBegin(run: RunResult) {
    this.note(`begin ${run.cases.length}`);
  }
  onCaseBegin(test: ReporterCase) {
    this.note(`caseBegin ${test.index}`);
  }
  onAttemptBegin(test: ReporterCase, attempt: AttemptBeginInfo) {
    this.note(`attemptBegin ${test.index}.${attempt.attempt}`);
  }
  onAttemptEnd(test: ReporterCase, attempt: AttemptResult) {
    this.note(`attemptEnd ${test.index}.${attempt.attempt} ${attempt.verdict}`);
  }
  async onCaseEnd(test: ReporterCase, result: CaseResult) {
    await new Promise((resolve) => setTimeout(resolve, 1));
    this.note(`caseEnd ${test.index} ${result.verdict}`);
  }
  onError(error: { message: string }) {
    this.note(`error ${error.message}`);
  }
  async onEnd(run: RunResult) {
    this.note(`end ${run.cases.length}`);
  }
  printsToStdio() {
    if (this.throwIn === 'printsToStdio') throw new Error('broken');
    return this.stdio;
  }
}

describe('Multiplexer', () => {
  it('delivers every event to every reporter, in order, awaiting each', async () => {
    const a = new Recorder('a');
    const b = new Recorder('b');
    await replayToReporters(sampleRun(), new Multiplexer([a, b]));
    expect(a.events).toEqual(b.events);
    expect(a.events[0]).toBe('begin 0');
    expect(a.events.slice(1, 9)).toEqual(['caseBegin 1', 'attemptBegin 1.1', 'attemptEnd 1.1 passed', 'caseEnd 1 passed', 'caseBegin 2', 'attemptBegin 2.1', 'attemptEnd 2.1 failed', 'caseEnd 2 failed']);
    expect(a.events.at(-1)).toBe('end 8');
  });

  it("isolates one reporter's exceptions from the others and records them", async () => {
    const failures: ReporterFailure[] = [];
    const broken = new Recorder('broken', 'caseEnd 2 failed');
    const brokenEnd = new Recorder('brokenEnd', 'end');
    const fine = new Recorder('fine');
    const multiplexer = new Multiplexer([broken, brokenEnd, fine], { onFailure: (failure) => failures.push(failure) });
    await replayToReporters(sampleRun(), multiplexer);
    await multiplexer.onError({ message: 'boom' });
    expect(fine.events).toContain('end 8');
    expect(fine.events).toContain('error boom');
    expect(broken.events.at(-1)).toBe('error boom');
    expect(failures.map((failure) => `${failure.reporter} ${failure.hook}`)).toEqual(['broken onCaseEnd', 'brokenEnd onEnd']);
    expect(multiplexer.failures).toHaveLength(2);
  });

  it('survives a failure handler that throws', async () => {
    const fine = new Recorder('fine');
    const multiplexer = new Multiplexer([new Recorder('broken', 'begin'), fine], {
      onFailure: () => {
        throw new Error('handler broke too');
      },
    });
    await multiplexer.onBegin(sampleRun(), { total: 0, kernels: [] });
    expect(fine.events).toEqual(['begin 8']);
  });

  it('prints to stdio when any reporter does', () => {
    expect(new Multiplexer([new Recorder('a'), new Recorder('b')]).printsToStdio()).toBe(false);
    expect(new Multiplexer([new Recorder('a'), new Recorder('b', null, true)]).printsToStdio()).toBe(true);
    expect(new Multiplexer([new Recorder('a', 'printsToStdio')]).printsToStdio()).toBe(true);
  });
});
