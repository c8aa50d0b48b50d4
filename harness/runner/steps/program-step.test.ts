import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KmsgMark } from '../../kernel-log/reader/kmsg-reader.ts';
import type { LogRecord } from '../../kernel-log/records/log-record.ts';
import { kernelEvents } from '../../kernel-log/events/parse-event.ts';
import { kernelFacts, type Step, type StepOutcome } from '../../suite/index.ts';
import type { ProgramAction } from '../../suite/program-schema.ts';
import { checkStepOutcome } from '../step-outcome.ts';
import { FakeProgramGuest } from '../programs/fake-program-guest.ts';
import { commOf, programSigbusFrom, programSigbusMatches } from '../programs/program-sigbus.ts';
import { endBackgroundPrograms, PROGRAM_GUEST_DIR, ProgramTimeoutError, runProgramStep, StepFailedError, type ProgramStepDeps } from './program-step.ts';
import type { CaseContext } from '../case-context.ts';
import type { StepResult } from '../step-result.ts';

const tick = () => new Promise((resolve) => setImmediate(resolve));

/** Until the step has opened the program's channel (it reads the file and copies it first). */
async function opened(guest: FakeProgramGuest, count = 1): Promise<void> {
  for (let i = 0; i < 1000 && guest.channels.length < count; i++) await new Promise((resolve) => setTimeout(resolve, 1));
}

/** The kernel log as the runner's reader holds it: records with seq, marks that say where "now" is. */
class FakeKmsg {
  records: LogRecord[] = [];
  marks: string[] = [];
  log(text: string): void {
    this.records.push({ source: 'kmsg', seq: this.records.length, text });
  }
  mark(): KmsgMark {
    return { afterSeq: this.records.length - 1 };
  }
  async markInKernelLog(label: string): Promise<KmsgMark> {
    this.marks.push(label);
    return this.mark();
  }
  since(mark: KmsgMark) {
    return { records: this.records.filter((record) => (record.seq ?? 0) > mark.afterSeq), losses: [] };
  }
}

let dir: string;
let binary: string;
beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'mh-program-step-'));
  binary = path.join(dir, 'prog');
  await fs.writeFile(binary, '#!/bin/sh\n');
});
afterAll(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

function setUp() {
  const guest = new FakeProgramGuest();
  const kmsg = new FakeKmsg();
  const uploads: Array<{ path: string; bytes: number }> = [];
  const deps: ProgramStepDeps = {
    guest,
    upload: async (content, guestPath) => {
      uploads.push({ path: guestPath, bytes: content.length });
    },
    binaryOf: async () => binary,
  };
  const context = { guest: undefined as never, targets: new Map(), helper: { pid: 9 } as never, programs: new Map(), pfnAfterStep: new Map(), kmsg: kmsg as never } satisfies Partial<CaseContext>;
  return { guest, kmsg, uploads, deps, context };
}

function programStep(action: Partial<ProgramAction>, expect: Array<Omit<StepOutcome, 'when' | 'xfail'>> = []): { step: Step; action: ProgramAction } {
  const full: ProgramAction = { kind: 'program', name: 'p1', path: 'programs/p1.c', file: binary, args: [], cflags: [], background: false, ready: null, ...action };
  return { action: full, step: { index: 2, id: null, action: full, timeoutMs: null, when: null, expect: expect.map((outcome) => ({ ...outcome, when: null, xfail: null })), location: { file: 's.yaml', line: 9, column: 9 }, text: 'program: ...' } };
}

const facts = kernelFacts({ release: '6.12.117+deb12-amd64', upstreamVersion: '6.12.117' });

describe('runProgramStep', () => {
  it('copies the program in, substitutes its arguments and runs it to its end', async () => {
    const { guest, uploads, deps, context } = setUp();
    const { step, action } = programStep({ args: ['$helper.pid', 'x y'] });
    const running = runProgramStep(context, action, step, 5_000, deps);
    await opened(guest);
    expect(uploads).toEqual([{ path: `${PROGRAM_GUEST_DIR}/p1`, bytes: 10 }]);
    expect(guest.last.command).toBe(`cd '${PROGRAM_GUEST_DIR}' && sh -c 'echo "memharness-program-pid $$" && exec "$0" "$@"' './p1' '9' 'x y' </dev/null; echo "memharness-program-status $?"`);
    guest.last.started(400).print('hello\n').end({ exitCode: 0 });
    const result = await running;
    expect(result).toMatchObject({ ok: true, exit: 0, signal: null, stdout: 'hello\n', pid: 400, programSigbus: [], summary: 'p1 (pid 400) exit 0' });
    expect(context.programs.get('p1')).toMatchObject({ pid: 400, comm: 'p1' });
    expect(checkStepOutcome(step, result, facts, { target: () => undefined }).mismatches).toEqual([]);
  });

  it('reads the SIGBUS the kernel logged for it once SIGBUS killed it, from a mark', async () => {
    const { guest, kmsg, deps, context } = setUp();
    kmsg.log('MCE: Killing p1:390 due to hardware memory corruption fault at 200000000'); // before it started: not its
    const { step, action } = programStep({}, [{ signal: 'SIGBUS', sigbus: { code: 'BUS_MCEERR_AR', addr: { kind: 'equals', value: '0x200000000' }, lsb: null, async: false } }]);
    const running = runProgramStep(context, action, step, 5_000, deps);
    await opened(guest);
    guest.last.started(400);
    kmsg.log('MCE: Killing other:401 due to hardware memory corruption fault at 200000000');
    kmsg.log('MCE: Killing p1:402 due to hardware memory corruption fault at 200000000');
    guest.last.end({ signal: 'BUS' });
    const result = await running;
    expect(kmsg.marks).toEqual(['program-end:p1']);
    expect(result).toMatchObject({ ok: false, exit: null, signal: 'SIGBUS', summary: "p1 (pid 400) killed by SIGBUS; the kernel's log has 1 SIGBUS line(s) for it" });
    expect(result.programSigbus).toEqual([{ codeName: 'BUS_MCEERR_AR', addr: '0x200000000', async: false, source: 'mce-kill', pid: 402, line: 'MCE: Killing p1:402 due to hardware memory corruption fault at 200000000' }]);
    expect(checkStepOutcome(step, result, facts, { target: () => undefined }).mismatches).toEqual([]);
  });

  it('stops a program past its deadline and fails the step with what it printed', async () => {
    const { guest, deps, context } = setUp();
    const { step, action } = programStep({});
    const running = runProgramStep(context, action, step, 100, deps);
    await opened(guest);
    guest.last.started(400).print('still going\n');
    const error = await running.catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ProgramTimeoutError);
    expect((error as Error).message).toBe('program p1 (step at s.yaml:9:9) did not end within 0.1 s; stopped (killed by SIGTERM)');
    expect((error as ProgramTimeoutError).partial).toMatchObject({ signal: 'SIGTERM', stdout: 'still going\n' });
    expect(guest.commands).toEqual(['kill -TERM 400 2>/dev/null; true']);
  });

  it('in the background, ends the step at its ready line; the case\'s end stops it and says it was running', async () => {
    const { guest, deps, context } = setUp();
    const { step, action } = programStep({ background: true, ready: '^ready' }, [{ running: true }]);
    const running = runProgramStep(context, action, step, 5_000, deps);
    await opened(guest);
    guest.last.started(500).print('ready vaddr=0x200000000\n');
    const started = await running;
    expect(started).toEqual({ ok: true, deferred: true, pid: 500, summary: 'started p1 in the background (pid 500); ready: ready vaddr=0x200000000' });
    const [ended] = await endBackgroundPrograms(context, () => true);
    expect(ended!.result).toMatchObject({ running: true, signal: 'SIGTERM', exit: null, summary: 'p1 (pid 500) killed by SIGTERM, stopped by the harness with SIGTERM when the steps ended' });
    expect(checkStepOutcome(step, ended!.result, facts, { target: () => undefined }).mismatches).toEqual([]);
  });

  it('fails the step, naming it, when a background program ends before its ready line', async () => {
    const { guest, deps, context } = setUp();
    const { step, action } = programStep({ background: true, ready: '^ready' });
    const running = runProgramStep(context, action, step, 5_000, deps);
    await opened(guest);
    guest.last.started(600).print('mmap: Cannot allocate memory\n').end({ exitCode: 2 });
    const error = await running.catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(StepFailedError);
    expect((error as Error).message).toBe('background program p1 (step at s.yaml:9:9): it ended (exit 2) before printing a line matching /^ready/');
    expect((error as StepFailedError).partial).toMatchObject({ exit: 2, running: false, stdout: 'mmap: Cannot allocate memory\n' });
  });

  it('keeps the end of a background program that ended by itself; its default expect (running) then fails', async () => {
    const { guest, deps, context } = setUp();
    const { step, action } = programStep({ background: true }, [{ running: true }]);
    const running = runProgramStep(context, action, step, 5_000, deps);
    await opened(guest);
    guest.last.started(700);
    await running;
    guest.last.end({ signal: 'SEGV' });
    await tick();
    const [ended] = await endBackgroundPrograms(context, () => true);
    expect(ended!.result).toMatchObject({ running: false, signal: 'SIGSEGV' });
    expect(guest.commands).toEqual([]);
    expect(checkStepOutcome(step, ended!.result, facts, { target: () => undefined }).mismatches.map((m) => m.message)).toEqual(['expected it to be still running when the steps ended, p1 (pid 700) killed by SIGSEGV']);
  });
});

describe("a program's outcomes", () => {
  const result = (overrides: Partial<StepResult>): StepResult => ({ ok: false, exit: null, signal: 'SIGBUS', programSigbus: [], summary: 'p1 (pid 1) killed by SIGBUS', ...overrides });
  const check = (expect: Omit<StepOutcome, 'when' | 'xfail'>, got: StepResult) => checkStepOutcome(programStep({}, [expect]).step, got, facts, { target: () => undefined }).mismatches.map((m) => m.message);

  it('checks the signal, and the exit status with the signal said', () => {
    expect(check({ signal: 'SIGBUS' }, result({}))).toEqual([]);
    expect(check({ signal: null }, result({}))).toEqual(['expected no signal to end it, p1 (pid 1) killed by SIGBUS']);
    expect(check({ exit: 0 }, result({}))).toEqual(['expected exit status 0, got none (killed by SIGBUS)']);
  });

  it("checks sigbus: against the kernel's lines: none, any, a code and address", () => {
    const sent = { codeName: null, addr: null, async: null, source: 'sigbus-sent' as const, pid: 2, line: 'Memory failure: 0x10: Sending SIGBUS to p1:2 due to hardware memory corruption' };
    const killed = { codeName: 'BUS_MCEERR_AR' as const, addr: '0x200000000', async: false, source: 'mce-kill' as const, pid: 2, line: 'MCE: Killing p1:2 ...' };
    const any = { code: null, addr: null, lsb: null, async: null };
    expect(check({ sigbus: 'none' }, result({}))).toEqual([]);
    expect(check({ sigbus: 'none' }, result({ programSigbus: [sent] }))).toEqual(["expected no SIGBUS, the kernel's log has a SIGBUS from memory_failure() (sigbus-sent, pid 2; code and address not logged)"]);
    expect(check({ sigbus: any }, result({ programSigbus: [sent] }))).toEqual([]);
    expect(check({ sigbus: { ...any, code: 'BUS_MCEERR_AR' } }, result({ programSigbus: [sent] }))).toEqual([
      "expected SIGBUS BUS_MCEERR_AR; the kernel's log has a SIGBUS from memory_failure() (sigbus-sent, pid 2; code and address not logged) (p1 (pid 1) killed by SIGBUS)",
    ]);
    expect(check({ sigbus: { ...any, code: 'BUS_MCEERR_AR', addr: { kind: 'equals', value: '0x200000000' } } }, result({ programSigbus: [sent, killed] }))).toEqual([]);
    expect(check({ sigbus: { ...any, code: 'BUS_MCEERR_AO' } }, result({ programSigbus: [killed] }))).toHaveLength(1);
  });
});

describe('programSigbusFrom', () => {
  it("takes the mce-kill and sigbus-sent lines of the program's process and its threads, by comm and pid", () => {
    const records: LogRecord[] = [
      'MCE: Killing madvise_race:211 due to hardware memory corruption fault at 7fb7b1fb3000',
      'Memory failure: 0x2b97: Sending SIGBUS to madvise_race:213 due to hardware memory corruption',
      'Memory failure: 0x2b97: Sending SIGBUS to sleep:214 due to hardware memory corruption',
      'MCE: Killing madvise_race:215 due to hardware memory corruption fault at 7fb7b1fb3040',
    ].map((text, seq) => ({ source: 'kmsg', seq, text }));
    const found = programSigbusFrom(kernelEvents(records), { pid: 212, comm: commOf('madvise_race') });
    expect(found.map((got) => [got.source, got.pid, got.codeName, got.addr])).toEqual([
      ['sigbus-sent', 213, null, null],
      ['mce-kill', 215, 'BUS_MCEERR_AR', '0x7fb7b1fb3040'],
    ]);
    expect(programSigbusMatches({ code: null, addr: null, lsb: null, async: true }, found[0]!, { target: () => undefined })).toBe(false);
    expect(commOf('a_very_long_program_name')).toBe('a_very_long_pro');
  });
});
