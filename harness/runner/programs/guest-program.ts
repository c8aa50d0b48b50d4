import type { ConversationEnd, GuestConversation } from '../../ssh/guest-ssh.ts';
import { escapeControl } from '../../reporters/text/escape-text.ts';
import { TimeoutError } from '../../util/timeout-error.ts';

/** What a program needs of the guest: a long-running command whose output streams, and plain commands (kill). */
export interface ProgramGuest {
  converse(command: string, onData: (chunk: Buffer) => void): Promise<GuestConversation>;
  exec(command: string, options?: { timeoutMs?: number }): Promise<{ exitCode: number | null; stdout: string; stderr: string }>;
}

/** How a program ended: its exit status, or the signal (SSH's name: BUS, KILL) that ended it. */
export interface ProgramEnd {
  exitCode: number | null;
  signal: string | null;
  /** Its stderr (the channel keeps the first 64 KiB). */
  stderr: string;
}

/** Where a program is: starting (no pid yet), running, ready (its ready line came), ended. */
export type ProgramState = 'starting' | 'running' | 'ready' | 'ended';

/** Bytes of stdout kept from the start and from the end of a program's output (the middle is counted, not kept). */
export const PROGRAM_OUTPUT_KEEP_BYTES = 64 * 1024;
/** A stdout line longer than this is looked at for `ready:` by its first part only. */
const MAX_READY_LINE = 64 * 1024;
/** The line the wrapper prints before it execs the program: the harness learns its pid from it. */
const PID_LINE = /^memharness-program-pid (\d+)$/;

/**
 * A program's output as it streams in, kept within bounds: the first and last `keep` bytes,
 * and how many were left out between them. Guest programs are untrusted: nothing they print
 * grows the harness's memory without bound.
 */
export class HeadTailBuffer {
  private head: Buffer[] = [];
  private headBytes = 0;
  private tail: Buffer[] = [];
  private tailBytes = 0;
  private dropped = 0;

  constructor(private readonly keep = PROGRAM_OUTPUT_KEEP_BYTES) {}

  add(chunk: Buffer): void {
    let data = chunk;
    if (this.headBytes < this.keep) {
      const room = this.keep - this.headBytes;
      this.head.push(data.subarray(0, room));
      this.headBytes += Math.min(room, data.length);
      data = data.subarray(room);
    }
    if (data.length === 0) return;
    this.tail.push(data);
    this.tailBytes += data.length;
    while (this.tailBytes > this.keep) {
      const first = this.tail[0]!;
      const excess = this.tailBytes - this.keep;
      if (first.length <= excess) {
        this.tail.shift();
        this.tailBytes -= first.length;
        this.dropped += first.length;
      } else {
        this.tail[0] = first.subarray(excess);
        this.tailBytes -= excess;
        this.dropped += excess;
      }
    }
  }

  /** Bytes received in all. */
  get total(): number {
    return this.headBytes + this.dropped + this.tailBytes;
  }

  text(): string {
    const head = Buffer.concat(this.head).toString('utf8');
    const tail = Buffer.concat(this.tail).toString('utf8');
    return this.dropped > 0 ? `${head}\n… [${this.dropped} bytes not kept] …\n${tail}` : head + tail;
  }
}

/** Splits a byte stream into lines (without the newline), holding at most `max` bytes of an unfinished one. */
export class LineSplitter {
  private partial = '';
  constructor(private readonly max = MAX_READY_LINE) {}

  push(chunk: Buffer): string[] {
    const text = this.partial + chunk.toString('utf8');
    const lines = text.split('\n');
    this.partial = lines.pop()!.slice(0, this.max);
    return lines.map((line) => line.replace(/\r$/, '').slice(0, this.max));
  }

  /** The unfinished last line (a program that ends without a newline). */
  rest(): string {
    return this.partial;
  }
}

/** Single-quotes a word for the guest's sh. */
export function shellQuote(word: string): string {
  return `'${word.replace(/'/g, `'\\''`)}'`;
}

/**
 * The command that runs a program: an inner shell says its pid and becomes the program (exec
 * keeps the pid), stdin from /dev/null; the outer shell then prints how it ended as a last
 * stdout line (`memharness-program-status N`, 128+signal when a signal killed it). The SSH
 * exit status cannot say it: dropbear sends an exit-signal only for the signals RFC 4254
 * names, and SIGBUS is not among them (a program killed by SIGBUS had "no exit status").
 */
export function programCommand(dir: string, file: string, args: readonly string[]): string {
  const inner = shellQuote('echo "memharness-program-pid $$" && exec "$0" "$@"');
  return `cd ${shellQuote(dir)} && sh -c ${inner} ${shellQuote(file)}${args.map((arg) => ` ${shellQuote(arg)}`).join('')} </dev/null; echo "${STATUS_MARKER} $?"`;
}

const STATUS_MARKER = 'memharness-program-status';
/** Bytes of stdout held back until more comes or the program ends: the status line is the last of them. */
const STATUS_HOLD_BYTES = 48;
// Printed right after the program's last byte (on its own line when that was a newline).
const STATUS_LINE = new RegExp(`${STATUS_MARKER} (\\d+)\\n$`);

/** Linux x86 signal numbers, by the names ssh2 reports (without SIG). */
const SIGNAL_NAMES: Readonly<Record<number, string>> = {
  1: 'HUP', 2: 'INT', 3: 'QUIT', 4: 'ILL', 5: 'TRAP', 6: 'ABRT', 7: 'BUS', 8: 'FPE', 9: 'KILL', 10: 'USR1', 11: 'SEGV', 12: 'USR2', 13: 'PIPE', 14: 'ALRM', 15: 'TERM',
  16: 'STKFLT', 17: 'CHLD', 18: 'CONT', 19: 'STOP', 20: 'TSTP', 21: 'TTIN', 22: 'TTOU', 23: 'URG', 24: 'XCPU', 25: 'XFSZ', 26: 'VTALRM', 27: 'PROF', 28: 'WINCH', 29: 'IO', 30: 'PWR', 31: 'SYS',
};

/** The shell's status of the program: an exit code, or 128 + the signal that killed it. */
export function endFromStatus(status: number): Pick<ProgramEnd, 'exitCode' | 'signal'> {
  if (status > 128 && SIGNAL_NAMES[status - 128]) return { exitCode: null, signal: SIGNAL_NAMES[status - 128]! };
  return { exitCode: status, signal: null };
}

/** The program ended before what was waited for (its ready line). */
export class ProgramEndedError extends Error {
  constructor(
    message: string,
    readonly end: ProgramEnd,
  ) {
    super(message);
  }
}

/**
 * One program running in the guest over its own SSH channel: its pid (from the wrapper's
 * first line), its stdout (bounded) and, once it ends, its exit status or signal. `ready`
 * resolves at the first stdout line matching the step's regex. `stop` ends it: SIGTERM, then
 * SIGKILL, then the channel is closed.
 */
export class GuestProgram {
  state: ProgramState = 'starting';
  pid = 0;
  readyLine: string | null = null;
  /** The signal the harness stopped it with, if it did. */
  stoppedWith: 'SIGTERM' | 'SIGKILL' | null = null;
  readonly stdout = new HeadTailBuffer();
  private readonly lines = new LineSplitter();
  private endInfo: ProgramEnd | null = null;
  private conversation: GuestConversation | null = null;
  private readonly endWaiters = new Set<() => void>();
  private readyWaiter: ((line: string) => void) | null = null;
  private pidWaiter: ((pid: number) => void) | null = null;
  private sawPid = false;
  private firstLine: Buffer[] = [];
  /** The last stdout bytes, not yet recorded: they may be the status line. */
  private held: Buffer = Buffer.alloc(0);

  private constructor(
    private readonly guest: ProgramGuest,
    private readonly ready: RegExp | null,
  ) {}

  /**
   * Starts the command (programCommand) and resolves once the program's pid is known; a
   * command that ends before saying it (the file cannot be run) is a ProgramEndedError.
   */
  static async start(guest: ProgramGuest, command: string, options: { ready?: RegExp | null; timeoutMs?: number } = {}): Promise<GuestProgram> {
    const program = new GuestProgram(guest, options.ready ?? null);
    const pid = new Promise<number>((resolve) => {
      program.pidWaiter = resolve;
    });
    program.conversation = await guest.converse(command, (chunk) => program.onData(chunk));
    void program.conversation.closed.then((end) => program.onEnd(end));
    const timeoutMs = options.timeoutMs ?? 60_000;
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), timeoutMs)));
    const started = await Promise.race([pid, program.endedPromise().then(() => null), timedOut]);
    clearTimeout(timer);
    if (started === 'timeout') {
      program.conversation.stop();
      throw new TimeoutError('guest-command', timeoutMs, `the program did not start within ${(timeoutMs / 1000).toFixed(1)} s`);
    }
    if (started === null) {
      const end = program.endInfo!;
      throw new ProgramEndedError(`the program ended before it started (${describeEnd(end)})${end.stderr.trim() ? `: ${escapeControl(end.stderr.trim().slice(0, 500))}` : ''}`, end);
    }
    return program;
  }

  get ended(): ProgramEnd | null {
    return this.endInfo;
  }

  /** Resolves with the first stdout line matching the ready regex (at once if one came already). */
  waitReady(timeoutMs: number): Promise<string> {
    if (!this.ready) return Promise.resolve('');
    if (this.readyLine !== null) return Promise.resolve(this.readyLine);
    if (this.endInfo) return Promise.reject(this.endedBeforeReady());
    return new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.readyWaiter = null;
        this.endWaiters.delete(onEnd);
        reject(new TimeoutError('step', timeoutMs, `no line of its stdout matched /${this.ready!.source}/ within ${(timeoutMs / 1000).toFixed(1)} s`));
      }, timeoutMs);
      const onEnd = () => {
        clearTimeout(timer);
        this.readyWaiter = null;
        reject(this.endedBeforeReady());
      };
      this.endWaiters.add(onEnd);
      this.readyWaiter = (line) => {
        clearTimeout(timer);
        this.endWaiters.delete(onEnd);
        resolve(line);
      };
    });
  }

  /** Resolves when it ends, or with null after `timeoutMs`. */
  async waitEnd(timeoutMs: number): Promise<ProgramEnd | null> {
    if (this.endInfo) return this.endInfo;
    let timer: NodeJS.Timeout | undefined;
    const end = await Promise.race([this.endedPromise(), new Promise<null>((resolve) => (timer = setTimeout(() => resolve(null), timeoutMs)))]);
    clearTimeout(timer);
    return end;
  }

  /**
   * Ends it if it still runs: SIGTERM, `termGraceMs` to end, SIGKILL, `killGraceMs`, then the
   * channel is closed (its end is then what SSH says, or nothing).
   */
  async stop(options: { termGraceMs?: number; killGraceMs?: number } = {}): Promise<ProgramEnd> {
    for (const [signal, grace] of [['TERM', options.termGraceMs ?? 2_000], ['KILL', options.killGraceMs ?? 3_000]] as const) {
      if (this.endInfo) return this.endInfo;
      this.stoppedWith = `SIG${signal}`;
      await this.guest.exec(`kill -${signal} ${this.pid} 2>/dev/null; true`, { timeoutMs: 20_000 }).catch(() => undefined);
      if (await this.waitEnd(grace)) return this.endInfo!;
    }
    this.conversation?.stop();
    return (await this.waitEnd(2_000)) ?? { exitCode: null, signal: null, stderr: 'the program did not end after SIGKILL; its channel was closed' };
  }

  private endedPromise(): Promise<ProgramEnd> {
    if (this.endInfo) return Promise.resolve(this.endInfo);
    return new Promise((resolve) => this.endWaiters.add(() => resolve(this.endInfo!)));
  }

  private endedBeforeReady(): ProgramEndedError {
    const end = this.endInfo!;
    return new ProgramEndedError(`it ended (${describeEnd(end)}) before printing a line matching /${this.ready?.source ?? ''}/${end.stderr.trim() ? `; stderr: ${escapeControl(end.stderr.trim().slice(-500))}` : ''}`, end);
  }

  private onData(chunk: Buffer): void {
    let data = chunk;
    if (!this.sawPid) {
      // The wrapper's first line is the pid; everything after it is the program's.
      const newline = data.indexOf(0x0a);
      if (newline < 0) {
        if (this.firstLine.reduce((sum, part) => sum + part.length, 0) < 256) this.firstLine.push(data);
        return;
      }
      const match = PID_LINE.exec(Buffer.concat([...this.firstLine, data.subarray(0, newline)]).toString('utf8'));
      this.firstLine = [];
      this.sawPid = true;
      if (match) {
        this.pid = Number(match[1]);
        this.state = 'running';
        this.pidWaiter?.(this.pid);
      }
      data = data.subarray(newline + 1);
    }
    if (data.length === 0) return;
    const all = Buffer.concat([this.held, data]);
    const recordable = Math.max(0, all.length - STATUS_HOLD_BYTES);
    if (recordable > 0) this.stdout.add(all.subarray(0, recordable));
    this.held = all.subarray(recordable);
    if (this.ready && this.readyLine === null) {
      for (const line of this.lines.push(data)) {
        if (this.ready.test(line)) {
          this.readyLine = line;
          this.state = 'ready';
          this.readyWaiter?.(line);
          break;
        }
      }
    }
  }

  private onEnd(end: ConversationEnd): void {
    const held = this.held.toString('latin1');
    const status = STATUS_LINE.exec(held);
    this.held = Buffer.alloc(0);
    const kept = status ? held.slice(0, status.index) : held;
    if (kept.length > 0) this.stdout.add(Buffer.from(kept, 'latin1'));
    // Without the status line (the channel was cut, the outer shell killed) only SSH's word is left.
    const how = status ? endFromStatus(Number(status[1])) : { exitCode: end.exitCode, signal: end.signal };
    this.endInfo = { ...how, stderr: end.stderr };
    this.state = 'ended';
    for (const waiter of [...this.endWaiters]) waiter();
    this.endWaiters.clear();
  }
}

/** `exit 0`, `killed by SIGBUS`. */
export function describeEnd(end: ProgramEnd): string {
  if (end.signal) return `killed by SIG${end.signal}`;
  if (end.exitCode !== null) return `exit ${end.exitCode}`;
  return 'no exit status';
}
