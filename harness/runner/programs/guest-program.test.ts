import { describe, expect, it } from 'vitest';
import { TimeoutError } from '../../util/timeout-error.ts';
import { FakeProgramGuest } from './fake-program-guest.ts';
import { endFromStatus, GuestProgram, HeadTailBuffer, LineSplitter, ProgramEndedError, programCommand, shellQuote } from './guest-program.ts';

const tick = () => new Promise((resolve) => setImmediate(resolve));

/** Starts a program on the fake guest; `drive` plays the guest's side once the channel is open. */
async function start(guest: FakeProgramGuest, drive: (channel: FakeProgramGuest['last']) => void, ready: RegExp | null = null): Promise<GuestProgram> {
  const starting = GuestProgram.start(guest, 'cmd', { ready, timeoutMs: 1_000 });
  await tick();
  drive(guest.last);
  return starting;
}

describe('GuestProgram', () => {
  it('learns its pid from the wrapper line, keeps the rest as its stdout, and ends with its status', async () => {
    const guest = new FakeProgramGuest();
    const program = await start(guest, (channel) => channel.started(321).print('hello\n'));
    expect(program.pid).toBe(321);
    expect(program.state).toBe('running');
    guest.last.print('bye\n').end({ exitCode: 3, stderr: 'oops\n' });
    expect(await program.waitEnd(1_000)).toEqual({ exitCode: 3, signal: null, stderr: 'oops\n' });
    expect(program.state).toBe('ended');
    expect(program.stdout.text()).toBe('hello\nbye\n');
  });

  it('reads a pid line that arrives in pieces, and output in the same chunk', async () => {
    const guest = new FakeProgramGuest();
    const program = await start(guest, (channel) => channel.print('memharness-program-').print('pid 77\nfirst'));
    expect(program.pid).toBe(77);
    // The last bytes wait for more, or for the end: they may be the wrapper's status line.
    guest.last.end({ exitCode: 0, signal: null, stderr: '' });
    await new Promise((resolve) => setImmediate(resolve));
    expect(program.stdout.text()).toBe('first');
  });

  it('is an error naming stderr when the command ends before the program starts', async () => {
    const guest = new FakeProgramGuest();
    const error = await start(guest, (channel) => channel.end({ exitCode: 2, stderr: "sh: cd: can't cd to /nope\n" })).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ProgramEndedError);
    expect((error as Error).message).toBe("the program ended before it started (exit 2): sh: cd: can't cd to /nope");
  });

  it('is ready at the first stdout line matching, even one split across chunks', async () => {
    const guest = new FakeProgramGuest();
    const program = await start(guest, (channel) => channel.started(5).print('warming up\nready vad'), /^ready vaddr=(0x[0-9a-f]+)$/);
    expect(program.state).toBe('running');
    const ready = program.waitReady(1_000);
    guest.last.print('dr=0x200000000\nmore\n');
    expect(await ready).toBe('ready vaddr=0x200000000');
    expect(program.state).toBe('ready');
    expect(await program.waitReady(10)).toBe('ready vaddr=0x200000000');
  });

  it('says how it ended when it ends before its ready line', async () => {
    const guest = new FakeProgramGuest();
    const program = await start(guest, (channel) => channel.started(5), /^ready$/);
    const ready = program.waitReady(1_000);
    guest.last.end({ exitCode: null, signal: 'SEGV', stderr: 'boom\n' });
    const error = await ready.catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ProgramEndedError);
    expect((error as Error).message).toBe('it ended (killed by SIGSEGV) before printing a line matching /^ready$/; stderr: boom');
    await expect(program.waitReady(10)).rejects.toThrow(/killed by SIGSEGV/);
  });

  it('times out waiting for a ready line that never comes', async () => {
    const guest = new FakeProgramGuest();
    const program = await start(guest, (channel) => channel.started(5).print('nothing\n'), /^ready$/);
    const error = await program.waitReady(20).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(TimeoutError);
    expect((error as Error).message).toMatch(/no line of its stdout matched \/\^ready\$\/ within 0\.0 s/);
  });

  it('stops with SIGTERM, and with SIGKILL when TERM is ignored', async () => {
    const guest = new FakeProgramGuest();
    const polite = await start(guest, (channel) => channel.started(10));
    expect(await polite.stop({ termGraceMs: 50, killGraceMs: 50 })).toEqual({ exitCode: null, signal: 'TERM', stderr: '' });
    expect(polite.stoppedWith).toBe('SIGTERM');
    expect(guest.commands).toEqual(['kill -TERM 10 2>/dev/null; true']);

    guest.onKill = (signal, channel) => {
      if (signal === 'KILL') channel.end({ signal: 'KILL' });
    };
    const stubborn = await start(guest, (channel) => channel.started(11));
    expect(await stubborn.stop({ termGraceMs: 20, killGraceMs: 50 })).toMatchObject({ signal: 'KILL' });
    expect(stubborn.stoppedWith).toBe('SIGKILL');
    expect(guest.commands.slice(1)).toEqual(['kill -TERM 11 2>/dev/null; true', 'kill -KILL 11 2>/dev/null; true']);
  });

  it('closes the channel when even SIGKILL does not end it, and never kills one that ended', async () => {
    const guest = new FakeProgramGuest();
    guest.onKill = () => undefined;
    const wedged = await start(guest, (channel) => channel.started(12));
    await wedged.stop({ termGraceMs: 10, killGraceMs: 10 });
    expect(guest.last.stopped).toBe(true);

    const done = await start(guest, (channel) => channel.started(13));
    guest.last.end({ exitCode: 0 });
    await done.waitEnd(100);
    const before = guest.commands.length;
    expect(await done.stop()).toEqual({ exitCode: 0, signal: null, stderr: '' });
    expect(guest.commands.length).toBe(before);
    expect(done.stoppedWith).toBeNull();
  });
});

describe('HeadTailBuffer', () => {
  it('keeps everything up to twice its size, then the head and the tail around what it dropped', () => {
    const small = new HeadTailBuffer(8);
    small.add(Buffer.from('0123'));
    small.add(Buffer.from('4567abcd'));
    expect(small.text()).toBe('01234567abcd');
    small.add(Buffer.from('efghijkl'));
    expect(small.total).toBe(20);
    expect(small.text()).toBe('01234567\n… [4 bytes not kept] …\nefghijkl');
  });

  it('stays bounded whatever a program prints', () => {
    const buffer = new HeadTailBuffer(1024);
    for (let i = 0; i < 10_000; i++) buffer.add(Buffer.alloc(100, 0x41));
    expect(buffer.total).toBe(1_000_000);
    expect(buffer.text().length).toBeLessThan(2100);
  });
});

describe('LineSplitter', () => {
  it('gives whole lines, holding an unfinished one, without CR', () => {
    const lines = new LineSplitter(5);
    expect(lines.push(Buffer.from('ab\r\ncd'))).toEqual(['ab']);
    expect(lines.push(Buffer.from('e\nfghijklmn'))).toEqual(['cde']);
    expect(lines.rest()).toBe('fghij');
  });
});

describe('programCommand', () => {
  it('says the pid, then execs the program with every argument quoted and stdin from /dev/null', () => {
    expect(programCommand('/tmp/memharness-programs', './p1', ['0x1234', "it's", '$x'])).toBe(
      `cd '/tmp/memharness-programs' && sh -c 'echo "memharness-program-pid $$" && exec "$0" "$@"' './p1' '0x1234' 'it'\\''s' '$x' </dev/null; echo "memharness-program-status $?"`,
    );
    expect(shellQuote("a'b")).toBe(`'a'\\''b'`);
  });
});

describe('what a program prints, in messages', () => {
  it('is escaped: a guest program cannot put terminal escapes into the harness output', async () => {
    const guest = new FakeProgramGuest();
    const program = await start(guest, (channel) => channel.started(5), /^ready$/);
    const ready = program.waitReady(1_000);
    guest.last.end({ exitCode: 1, stderr: '\u001b[2Jgone\n' });
    await expect(ready).rejects.toThrow('it ended (exit 1) before printing a line matching /^ready$/; stderr: \\x1b[2Jgone');
  });
});

describe('how a program ended, from the wrapper\'s status line', () => {
  it('a program SIGBUS killed (status 135: dropbear sends no exit-signal for BUS), the line kept out of its stdout', async () => {
    const guest = new FakeProgramGuest();
    const program = await start(guest, (channel) => channel.started(9));
    guest.last.print('ready\nread 0x200000000\nmemharness-program-status 135\n');
    guest.last.end({ exitCode: 0, signal: null, stderr: '' });
    await new Promise((resolve) => setImmediate(resolve));
    expect(program.ended).toEqual({ exitCode: null, signal: 'BUS', stderr: '' });
    expect(program.stdout.text()).toBe('ready\nread 0x200000000\n');
  });

  it('an exit status, also after output without a final newline', async () => {
    const guest = new FakeProgramGuest();
    const program = await start(guest, (channel) => channel.started(9));
    guest.last.print('no newline').print('memharness-program-status 3\n');
    guest.last.end({ exitCode: 0, signal: null, stderr: '' });
    await new Promise((resolve) => setImmediate(resolve));
    expect(program.ended?.exitCode).toBe(3);
    expect(program.stdout.text()).toBe('no newline');
    expect(endFromStatus(143)).toEqual({ exitCode: null, signal: 'TERM' });
    expect(endFromStatus(0)).toEqual({ exitCode: 0, signal: null });
  });
});
