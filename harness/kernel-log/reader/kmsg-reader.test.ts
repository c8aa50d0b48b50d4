import { describe, expect, it } from 'vitest';
import { loadFixture } from '../fixtures/load-fixture.ts';
import { TimeoutError } from '../../util/timeout-error.ts';
import { KmsgReader, KmsgStreamClosedError } from './kmsg-reader.ts';
import type { KmsgStreamHandle, KmsgTransport } from './kmsg-transport.ts';

// Real records from the 6.12 boot and a hwpoison scenario; the tests feed subsets of them
// the way the SSH channel would (arbitrary chunks), never made-up kernel output.
const boot = loadFixture('6.12.117+deb12-amd64', 'boot');
const poison = loadFixture('6.12.117+deb12-amd64', 'hwpoison-free-page');
const rawBoot = boot.kmsgRecords.map((record) => `${record.raw}\n`);

class FakeGuest implements KmsgTransport {
  readonly commands: string[] = [];
  streamCommand = '';
  stops = 0;
  private onData: ((chunk: Buffer) => void) | null = null;
  private resolveClosed: () => void = () => {};
  private nextMarkSeq = 10_000;

  stream(command: string, onData: (chunk: Buffer) => void): Promise<KmsgStreamHandle> {
    this.streamCommand = command;
    this.onData = onData;
    const closed = new Promise<void>((resolve) => {
      this.resolveClosed = resolve;
    });
    setImmediate(() => this.feed('@memharness-kmsg pid=4242\n'));
    return Promise.resolve({ closed, stop: () => this.stopStream() });
  }

  async exec(command: string): Promise<{ exitCode: number | null; stdout: string; stderr: string }> {
    this.commands.push(command);
    const mark = /^echo '<6>(memharness-mark: [^']+)' > \/dev\/kmsg$/.exec(command);
    // The kernel would log the mark as a facility-1 record; echo it back the same way.
    if (mark) setImmediate(() => this.feed(`14,${this.nextMarkSeq++},99000000,-;${mark[1]}\n`));
    if (command.startsWith('kill ')) setImmediate(() => this.close());
    return { exitCode: 0, stdout: '', stderr: '' };
  }

  feed(text: string, chunkSize = 97): void {
    for (let offset = 0; offset < text.length; offset += chunkSize) this.onData?.(Buffer.from(text.slice(offset, offset + chunkSize), 'latin1'));
  }

  close(): void {
    this.resolveClosed();
  }

  private stopStream(): void {
    this.stops++;
    this.close();
  }
}

const settle = () => new Promise((resolve) => setTimeout(resolve, 60));

async function started(options: { maxRecords?: number } = {}): Promise<{ guest: FakeGuest; reader: KmsgReader }> {
  const guest = new FakeGuest();
  const reader = await KmsgReader.start(guest, { ...options, clock: () => 42 });
  return { guest, reader };
}

describe('KmsgReader', () => {
  it('runs a reopening cat loop and receives the whole ring buffer in seq order', async () => {
    const { guest, reader } = await started();
    expect(guest.streamCommand).toContain('cat /dev/kmsg');
    expect(guest.streamCommand).toMatch(/while :; do cat \/dev\/kmsg/);
    guest.feed(rawBoot.join(''));
    await settle();
    expect(reader.all().map((record) => record.seq)).toEqual(boot.kmsgRecords.map((record) => record.seq));
    expect(reader.all()[0]).toMatchObject({ source: 'kmsg', seq: 0, level: 5, hostMs: 42 });
    expect(reader.losses()).toEqual([]);
    await reader.stop();
  });

  it('drops the replay after cat reopened /dev/kmsg, without reporting a loss', async () => {
    const { guest, reader } = await started();
    guest.feed(rawBoot.slice(0, 50).join(''));
    guest.feed('@memharness-kmsg reopen rc=1\n');
    guest.feed(rawBoot.slice(0, 60).join(''));
    await settle();
    expect(reader.all().map((record) => record.seq)).toEqual(boot.kmsgRecords.slice(0, 60).map((record) => record.seq));
    expect(reader.losses()).toEqual([]);
    expect(reader.strayLines()).toEqual([]);
    await reader.stop();
  });

  it('reports a seq jump (EPIPE after the ring buffer wrapped) as a loss, also at the start', async () => {
    const { guest, reader } = await started();
    guest.feed(rawBoot.slice(5, 11).join('') + rawBoot.slice(20, 31).join(''));
    await settle();
    expect(reader.losses()).toEqual([
      { afterSeq: null, nextSeq: 5, lost: 5, cause: 'ring-buffer' },
      { afterSeq: 10, nextSeq: 20, lost: 9, cause: 'ring-buffer' },
    ]);
    expect(reader.since(7).losses).toEqual([{ afterSeq: 10, nextSeq: 20, lost: 9, cause: 'ring-buffer' }]);
    expect(reader.since(25)).toEqual({ records: reader.all().filter((record) => (record.seq ?? 0) > 25), losses: [] });
    await reader.stop();
  });

  it('waits for a record after a mark, ignoring matching ones before it', async () => {
    const { guest, reader } = await started();
    guest.feed(rawBoot.join(''));
    guest.feed(poison.kmsgText);
    await settle();
    const mark = reader.mark();
    const isResult = (text: string) => text.includes('recovery action for');
    const waiting = reader.waitFor((record) => isResult(record.text), { timeoutMs: 5_000, after: mark });
    // Re-inject the same scenario with later seqs: only the new record may satisfy the wait.
    const later = poison.kmsgRecords.map((record) => record.raw.replace(/^(\d+),(\d+),/, (_, level: string, seq: string) => `${level},${Number(seq) + 100},`));
    guest.feed(later.map((raw) => `${raw}\n`).join(''));
    const found = await waiting;
    expect(found.seq).toBe((poison.kmsgRecords.find((record) => isResult(record.text))?.seq ?? 0) + 100);
    await reader.stop();
  });

  it('times out, and rejects waiters when the stream closes', async () => {
    const { guest, reader } = await started();
    await expect(reader.waitFor(() => false, { timeoutMs: 20, what: 'nothing' })).rejects.toBeInstanceOf(TimeoutError);
    const pending = reader.waitFor(() => false, { timeoutMs: 10_000 });
    guest.close();
    await expect(pending).rejects.toBeInstanceOf(KmsgStreamClosedError);
    expect(reader.isClosed).toBe(true);
    expect(reader.listenerCount('record')).toBe(0);
    await expect(reader.waitFor(() => true, { timeoutMs: 10 })).rejects.toBeInstanceOf(KmsgStreamClosedError);
  });

  it('places a precise mark by writing it into the kernel log and reading it back', async () => {
    const { guest, reader } = await started();
    guest.feed(rawBoot.slice(0, 10).join(''));
    const mark = await reader.markInKernelLog('before inject');
    expect(guest.commands.at(-1)).toMatch(/^echo '<6>memharness-mark: before_inject#\d+\.1' > \/dev\/kmsg$/);
    expect(mark).toEqual({ afterSeq: 10_000, kernelTimeUs: 99_000_000 });
    await reader.stop();
  });

  it('stops the guest loop and its cat, closes the channel once, and can be stopped again', async () => {
    const { guest, reader } = await started();
    await Promise.all([reader.stop(), reader.stop()]);
    await reader.stop();
    const kills = guest.commands.filter((command) => command.startsWith('kill '));
    expect(kills).toHaveLength(1);
    expect(kills[0]).toMatch(/^kill -TERM 4242 \$\(for s in \/proc\/\[0-9\]\*\/stat; do .*\[ "\$parent" = 4242 \]/);
    expect(guest.stops).toBe(1);
    expect(reader.isClosed).toBe(true);
    expect(reader.listenerCount('closed')).toBe(0);
  });

  it('stops cleanly when the guest is already gone (the kill command fails)', async () => {
    const { guest, reader } = await started();
    guest.exec = () => Promise.reject(new Error('Not connected'));
    await expect(reader.stop()).resolves.toBeUndefined();
    expect(guest.stops).toBe(1);
    expect(reader.isClosed).toBe(true);
  });

  it('gives up a mark cleanly when writing it fails', async () => {
    const { guest, reader } = await started();
    guest.exec = () => Promise.resolve({ exitCode: 1, stdout: '', stderr: 'sh: can\'t create /dev/kmsg: Permission denied' });
    await expect(reader.markInKernelLog('x')).rejects.toThrow(/Permission denied/);
    expect(reader.listenerCount('record')).toBe(0);
    guest.close();
  });

  it('fails to start cleanly when the channel cannot be opened', async () => {
    const guest = new FakeGuest();
    guest.stream = () => Promise.reject(new Error('SSH exec failed: Not connected'));
    await expect(KmsgReader.start(guest, { startTimeoutMs: 50 })).rejects.toThrow('Not connected');
  });

  it('keeps at most maxRecords and reports the trimmed part as a reader-limit loss', async () => {
    const { guest, reader } = await started({ maxRecords: 10 });
    guest.feed(rawBoot.slice(0, 30).join(''));
    await settle();
    expect(reader.all().map((record) => record.seq)).toEqual(boot.kmsgRecords.slice(20, 30).map((record) => record.seq));
    expect(reader.since({ afterSeq: -1 }).losses).toEqual([{ afterSeq: null, nextSeq: 20, lost: 20, cause: 'reader-limit' }]);
    await reader.stop();
  });
});
