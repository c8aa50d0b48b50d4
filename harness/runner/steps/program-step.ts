import fs from 'node:fs/promises';
import { kernelEvents } from '../../kernel-log/events/parse-event.ts';
import type { KmsgMark } from '../../kernel-log/reader/kmsg-reader.ts';
import { prepareProgram } from '../../programs/program-build.ts';
import { escapeControl } from '../../reporters/text/escape-text.ts';
import { findTextRefs } from '../../suite/value-ref.ts';
import type { ProgramAction } from '../../suite/program-schema.ts';
import type { Step } from '../../suite/index.ts';
import { formatLocation } from '../../suite/problems.ts';
import { cacheDir } from '../../util/paths.ts';
import { TimeoutError } from '../../util/timeout-error.ts';
import type { Guest } from '../../vm/guest.ts';
import type { CaseContext } from '../case-context.ts';
import { substituteRefs } from '../case-refs.ts';
import { describeEnd, GuestProgram, ProgramEndedError, programCommand, type ProgramEnd, type ProgramGuest } from '../programs/guest-program.ts';
import { commOf, programSigbusFrom } from '../programs/program-sigbus.ts';
import type { StepResult } from '../step-result.ts';

/** Where programs are put in the guest (tmpfs); a program runs there, as root, its file named after the step's `name`. */
export const PROGRAM_GUEST_DIR = '/tmp/memharness-programs';

/** A program a step started, for `$NAME.pid` and for the case's end. */
export interface StartedProgram {
  name: string;
  /** As the kernel prints it (the guest file's name, 15 characters at most). */
  comm: string;
  pid: number;
  step: Step;
  action: ProgramAction;
  program: GuestProgram;
  /** The kernel log's position when it started: its SIGBUS lines come after it. */
  startMark: KmsgMark;
}

/**
 * The step did not do what a step of its kind must, for a reason that is the case's (a
 * background program that ended before its ready line), not the harness's: the case fails
 * (not an infra error), with what the step printed so far.
 */
export class StepFailedError extends Error {
  constructor(
    message: string,
    readonly partial?: StepResult,
  ) {
    super(message);
  }
}

/** A program step past its deadline: the program was stopped; what it printed is kept. */
export class ProgramTimeoutError extends TimeoutError {
  constructor(
    timeoutMs: number,
    message: string,
    readonly partial: StepResult,
  ) {
    super('step', timeoutMs, message);
  }
}

export function programGuest(guest: Pick<Guest, 'ssh' | 'exec'>): ProgramGuest {
  return { converse: (command, onData) => guest.ssh.converse(command, onData), exec: (command, options) => guest.exec(command, options) };
}

type ProgramContext = Pick<CaseContext, 'guest' | 'targets' | 'helper' | 'programs' | 'pfnAfterStep' | 'blockSizeBytes' | 'kmsg'>;

/** How the runner reaches the guest and the host for a program step (replaced in tests). */
export interface ProgramStepDeps {
  guest: ProgramGuest;
  /** Puts the program's bytes at `guestPath`, executable. */
  upload(content: Buffer, guestPath: string): Promise<void>;
  /** The file the guest gets (a compiled C file from the cache, else the file itself). */
  binaryOf(action: ProgramAction): Promise<string>;
}

function defaultDeps(guest: Guest): ProgramStepDeps {
  return {
    guest: programGuest(guest),
    async upload(content, guestPath) {
      // rm first: a file still running (a guest that served an earlier case) cannot be written (ETXTBSY), but can be replaced.
      const result = await guest.exec(`mkdir -p ${PROGRAM_GUEST_DIR} && rm -f ${guestPath} && cat > ${guestPath} && chmod 755 ${guestPath}`, { stdin: content, timeoutMs: 120_000, maxOutputBytes: 64 * 1024 });
      if (result.exitCode !== 0) throw new Error(`copying the program to ${guestPath} failed (exit ${result.exitCode}): ${result.stderr.trim().slice(0, 300)}`);
    },
    binaryOf: async (action) => (await prepareProgram({ file: action.file, cflags: action.cflags, cacheDir: cacheDir() })).binary,
  };
}

/**
 * A `program` step: the file copied into the guest (a C file compiled first, from the cache),
 * its arguments' references substituted, then run. In the foreground it runs to its end
 * (past the step's deadline it is stopped, and the step fails); in the background it runs on,
 * the step ending once its pid is known and, with `ready:`, once a stdout line matches.
 */
export async function runProgramStep(context: ProgramContext, action: ProgramAction, step: Step, timeoutMs: number, deps: ProgramStepDeps = defaultDeps(context.guest)): Promise<StepResult> {
  const where = formatLocation(step.location);
  const binary = await deps.binaryOf(action);
  const guestPath = `${PROGRAM_GUEST_DIR}/${action.name}`;
  await deps.upload(await fs.readFile(binary), guestPath);
  const args: string[] = [];
  for (const arg of action.args) args.push(await substituteRefs(context, arg, refsIn(arg)));
  const started = Date.now();
  const startMark = context.kmsg.mark();
  let program: GuestProgram;
  try {
    program = await GuestProgram.start(deps.guest, programCommand(PROGRAM_GUEST_DIR, `./${action.name}`, args), { ready: action.ready === null ? null : new RegExp(action.ready), timeoutMs: Math.min(timeoutMs, 60_000) });
  } catch (error) {
    if (error instanceof ProgramEndedError) throw new Error(`program ${action.name} could not be started: ${error.message}`);
    throw error;
  }
  const run: StartedProgram = { name: action.name, comm: commOf(action.name), pid: program.pid, step, action, program, startMark };
  context.programs ??= new Map();
  context.programs.set(action.name, run);
  const left = () => Math.max(0, timeoutMs - (Date.now() - started));

  if (!action.background) {
    const end = await program.waitEnd(left());
    if (!end) {
      const stopped = await program.stop();
      throw new ProgramTimeoutError(timeoutMs, `program ${action.name} (step at ${where}) did not end within ${(timeoutMs / 1000).toFixed(1)} s; stopped (${describeEnd(stopped)})`, await programResult(context, run, stopped));
    }
    return programResult(context, run, end);
  }
  if (action.ready !== null) {
    try {
      await program.waitReady(left());
    } catch (error) {
      if (error instanceof ProgramEndedError) {
        throw new StepFailedError(`background program ${action.name} (step at ${where}): ${error.message}`, await programResult(context, run, error.end, false));
      }
      if (error instanceof TimeoutError) {
        const stopped = await program.stop();
        throw new ProgramTimeoutError(timeoutMs, `background program ${action.name} (step at ${where}): ${error.message}; stopped (${describeEnd(stopped)})`, await programResult(context, run, stopped, false));
      }
      throw error;
    }
  }
  const readyText = program.readyLine !== null ? `; ready: ${escapeControl(program.readyLine.slice(0, 200))}` : '';
  return { ok: true, deferred: true, pid: program.pid, summary: `started ${action.name} in the background (pid ${program.pid})${readyText}` };
}

/**
 * What a program did, as the step's result: exit status or signal, output, and the SIGBUS
 * lines the kernel's log has for it. When it was killed by SIGBUS, or the step checks
 * `sigbus:`, the kernel log is first read up to now (a mark), so a line printed just before
 * the kill is in.
 */
export async function programResult(context: Pick<CaseContext, 'kmsg'>, run: StartedProgram, end: ProgramEnd, running?: boolean, guestAlive = true): Promise<StepResult> {
  const wantsSigbus = end.signal === 'BUS' || run.step.expect.some((outcome) => outcome.sigbus !== undefined);
  // A dead guest writes no mark: what the reader has is all there is.
  if (wantsSigbus && guestAlive) await context.kmsg.markInKernelLog(`program-end:${run.name}`, 10_000).catch(() => undefined);
  const programSigbus = programSigbusFrom(kernelEvents(context.kmsg.since(run.startMark).records), { pid: run.pid, comm: run.comm });
  const stopped = run.program.stoppedWith && running ? `, stopped by the harness with ${run.program.stoppedWith} when the steps ended` : '';
  return {
    ok: end.exitCode === 0,
    exit: end.exitCode,
    signal: end.signal ? `SIG${end.signal}` : null,
    stdout: run.program.stdout.text(),
    stderr: end.stderr,
    programSigbus,
    pid: run.pid,
    ...(running !== undefined ? { running } : {}),
    summary: `${run.name} (pid ${run.pid}) ${describeEnd(end)}${stopped}${programSigbus.length > 0 ? `; the kernel's log has ${programSigbus.length} SIGBUS line(s) for it` : ''}`,
  };
}

/**
 * At the case's end: every background program still running is stopped (SIGTERM, then
 * SIGKILL; on a dead guest only what SSH said is kept), and each one's result is made, with
 * `running` saying whether it was still running when the steps ended.
 */
export async function endBackgroundPrograms(context: ProgramContext, guestAlive: () => boolean): Promise<Array<{ run: StartedProgram; result: StepResult }>> {
  const out: Array<{ run: StartedProgram; result: StepResult }> = [];
  for (const run of context.programs?.values() ?? []) {
    if (!run.action.background) continue;
    const running = run.program.ended === null;
    let end: ProgramEnd;
    if (!running) end = run.program.ended!;
    else if (guestAlive()) end = await run.program.stop();
    else end = (await run.program.waitEnd(2_000)) ?? { exitCode: null, signal: null, stderr: 'the guest died' };
    out.push({ run, result: await programResult(context, run, end, running, guestAlive()) });
  }
  return out;
}

function refsIn(text: string) {
  return findTextRefs(text).flatMap((found) => (typeof found.ref === 'string' ? [] : [found.ref]));
}
