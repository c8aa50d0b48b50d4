import type { ConversationEnd, GuestConversation } from '../../ssh/guest-ssh.ts';
import type { ProgramGuest } from './guest-program.ts';

/**
 * A stand-in guest for program tests: each converse() is a channel the test drives (print a
 * line, end with a status or a signal), and exec() records commands, a `kill -SIG PID` ending
 * the channel as `onKill` decides (by default, as the signal would).
 */
export class FakeProgramGuest implements ProgramGuest {
  readonly commands: string[] = [];
  readonly channels: FakeChannel[] = [];
  /** What a kill does to the program: end it with that signal (default), or nothing (a program that ignores it). */
  onKill: (signal: string, channel: FakeChannel) => void = (signal, channel) => channel.end({ exitCode: null, signal });

  async converse(command: string, onData: (chunk: Buffer) => void): Promise<GuestConversation> {
    const channel = new FakeChannel(command, onData);
    this.channels.push(channel);
    return channel.conversation;
  }

  async exec(command: string): Promise<{ exitCode: number | null; stdout: string; stderr: string }> {
    this.commands.push(command);
    const kill = /^kill -(\w+) (\d+)/.exec(command);
    if (kill) {
      const channel = this.channels.find((candidate) => candidate.pid === Number(kill[2]) && !candidate.closed);
      if (channel) this.onKill(kill[1]!, channel);
    }
    return { exitCode: 0, stdout: '', stderr: '' };
  }

  get last(): FakeChannel {
    return this.channels.at(-1)!;
  }
}

export class FakeChannel {
  pid = 0;
  closed = false;
  stopped = false;
  private finish!: (end: ConversationEnd) => void;
  readonly conversation: GuestConversation;

  constructor(
    readonly command: string,
    private readonly onData: (chunk: Buffer) => void,
  ) {
    const closed = new Promise<ConversationEnd>((resolve) => (this.finish = resolve));
    this.conversation = {
      write: () => undefined,
      stop: () => {
        this.stopped = true;
        this.end({ exitCode: null, signal: null, stderr: '' });
      },
      closed,
    };
  }

  /** The wrapper's first line: the program's pid. */
  started(pid: number): this {
    this.pid = pid;
    return this.print(`memharness-program-pid ${pid}\n`);
  }

  print(text: string | Buffer): this {
    this.onData(Buffer.isBuffer(text) ? text : Buffer.from(text));
    return this;
  }

  end(end: Partial<ConversationEnd>): void {
    if (this.closed) return;
    this.closed = true;
    this.finish({ exitCode: end.exitCode ?? null, signal: end.signal ?? null, stderr: end.stderr ?? '' });
  }
}
