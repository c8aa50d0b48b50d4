import { TimeoutError } from '../../util/timeout-error.ts';
import { EventEmitter } from 'node:events';
import type { LogRecord } from '../records/log-record.ts';
import { kmsgToLogRecord, parseKmsgRecord, type KmsgRecord } from '../records/kmsg-record.ts';
import { KmsgSplitter } from '../records/kmsg-splitter.ts';
import { KMSG_MARK_PREFIX, kmsgMarkCommand, kmsgReaderCommand, kmsgStopCommand, parseKmsgControlLine } from './kmsg-command.ts';
import type { KmsgStreamHandle, KmsgTransport } from './kmsg-transport.ts';
import type { RecordLoss } from './record-loss.ts';

export interface KmsgReaderOptions {
  /** Host time of a received record, in ms since QEMU started (comparable with console atMs). */
  clock?: () => number;
  /** Records kept in memory; the oldest are dropped beyond it (and reported as a loss). */
  maxRecords?: number;
  /** How long start() waits for the guest loop to announce itself. */
  startTimeoutMs?: number;
  /** Sees every record with its raw text, from the very first (before start() resolves). */
  onKmsgRecord?: (record: KmsgRecord) => void;
}

/** A position in the kernel log: everything with a greater seq is "after" it. */
export interface KmsgMark {
  afterSeq: number;
  /** Kernel time of the mark record (markInKernelLog only): where the console's share of a window starts or ends. */
  kernelTimeUs?: number;
}

export interface KmsgSlice {
  records: LogRecord[];
  /** Gaps inside the slice: if any, the slice may lack records the kernel printed. */
  losses: RecordLoss[];
}

export class KmsgStreamClosedError extends Error {
  constructor(what: string) {
    super(`the /dev/kmsg stream closed (guest gone or reader stopped) while waiting for ${what}`);
  }
}

const DEFAULT_MAX_RECORDS = 200_000;
// The kernel hands a record and its property lines out in one read(), so a short pause in
// the stream means the last record is complete.
const IDLE_FLUSH_MS = 25;

/**
 * Reads the guest's kernel log through a long-running `cat /dev/kmsg` over SSH, from the
 * start of the ring buffer, keeping records in seq order with every gap reported. Later
 * layers take a mark before an action and then wait for the record the action should cause.
 */
export class KmsgReader extends EventEmitter<{
  record: [LogRecord];
  /** The same record with its raw text and device properties, for recorders. */
  kmsg: [KmsgRecord];
  loss: [RecordLoss];
  closed: [];
}> {
  private readonly records: LogRecord[] = [];
  private readonly gaps: RecordLoss[] = [];
  private readonly splitter: KmsgSplitter;
  private readonly clock: () => number;
  private readonly maxRecords: number;
  private lastSeq: number | null = null;
  private trimmedThroughSeq: number | null = null;
  private stream: KmsgStreamHandle | null = null;
  private guestPid: number | null = null;
  private pidWaiters: Array<(pid: number) => void> = [];
  private idleTimer: NodeJS.Timeout | null = null;
  private closed = false;
  private stopping: Promise<void> | null = null;
  private markCounter = 0;
  private readonly otherLines: string[] = [];

  private constructor(
    private readonly transport: KmsgTransport,
    options: KmsgReaderOptions,
  ) {
    super();
    this.clock = options.clock ?? (() => Date.now());
    this.maxRecords = options.maxRecords ?? DEFAULT_MAX_RECORDS;
    if (options.onKmsgRecord) this.on('kmsg', options.onKmsgRecord);
    this.splitter = new KmsgSplitter(
      (raw) => this.onRawRecord(raw),
      (line) => this.onOtherLine(line),
    );
  }

  /** Starts reading; resolves once the guest loop runs (its PID is known, so stop() can end it). */
  static async start(transport: KmsgTransport, options: KmsgReaderOptions = {}): Promise<KmsgReader> {
    const reader = new KmsgReader(transport, options);
    const pid = reader.waitForPid(options.startTimeoutMs ?? 30_000);
    try {
      reader.stream = await transport.stream(kmsgReaderCommand(), (chunk) => reader.onData(chunk));
    } catch (error) {
      reader.onClosed();
      await pid.catch(() => {});
      throw error;
    }
    void reader.stream.closed.then(() => reader.onClosed());
    try {
      await pid;
    } catch (error) {
      await reader.stop();
      throw error;
    }
    return reader;
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /** Seq of the newest record received, or null before the first. */
  get newestSeq(): number | null {
    return this.lastSeq;
  }

  /** Every record still held, oldest first. */
  all(): readonly LogRecord[] {
    return this.records;
  }

  /** Every gap seen so far. */
  losses(): readonly RecordLoss[] {
    return this.gaps;
  }

  /** Lines on the stream that were neither records nor the reader's own markers. */
  strayLines(): readonly string[] {
    return this.otherLines;
  }

  /**
   * The current position as far as the host knows. Records the kernel printed but the
   * host has not received yet count as "after" it; use markInKernelLog() when that matters.
   */
  mark(): KmsgMark {
    return { afterSeq: this.lastSeq ?? -1 };
  }

  /**
   * Writes a marker record into the guest's kernel log and waits until it comes back:
   * the mark then sits exactly between what the kernel printed before and after.
   */
  async markInKernelLog(label = 'mark', timeoutMs = 30_000): Promise<KmsgMark> {
    const safeLabel = label.replace(/[^A-Za-z0-9_.:=-]/g, '_');
    const text = `${KMSG_MARK_PREFIX}${safeLabel}#${process.pid}.${++this.markCounter}`;
    const before = this.mark();
    const abort = new AbortController();
    const seen = this.waitFor((record) => record.text === text, { timeoutMs, after: before, what: `the mark "${text}"`, signal: abort.signal });
    try {
      const result = await this.transport.exec(kmsgMarkCommand(text.slice(KMSG_MARK_PREFIX.length)), { timeoutMs });
      if (result.exitCode !== 0) throw new Error(`writing a mark into /dev/kmsg failed (exit ${result.exitCode}): ${result.stderr.trim()}`);
    } catch (error) {
      abort.abort(error);
      await seen.catch(() => {});
      throw error;
    }
    const record = await seen;
    return { afterSeq: record.seq ?? before.afterSeq, ...(record.kernelTimeUs === undefined ? {} : { kernelTimeUs: record.kernelTimeUs }) };
  }

  /** Records after `mark` (or after `seq`), with the gaps that fall into that range. */
  since(mark: KmsgMark | number): KmsgSlice {
    const afterSeq = typeof mark === 'number' ? mark : mark.afterSeq;
    const records = this.records.filter((record) => (record.seq ?? -1) > afterSeq);
    const losses = this.gaps.filter((gap) => gap.nextSeq > afterSeq + 1);
    if (this.trimmedThroughSeq !== null && afterSeq < this.trimmedThroughSeq) {
      losses.unshift({
        afterSeq: afterSeq < 0 ? null : afterSeq,
        nextSeq: this.trimmedThroughSeq + 1,
        lost: this.trimmedThroughSeq - afterSeq,
        cause: 'reader-limit',
      });
    }
    return { records, losses };
  }

  /**
   * The first record after `after` (default: everything held) that matches. Rejects on the
   * deadline, when the stream closes (a dead guest prints nothing more over SSH) or when
   * `signal` aborts.
   */
  waitFor(
    predicate: (record: LogRecord) => boolean,
    options: { timeoutMs: number; after?: KmsgMark; what?: string; signal?: AbortSignal },
  ): Promise<LogRecord> {
    const afterSeq = options.after?.afterSeq ?? -1;
    const what = options.what ?? 'the predicate';
    const existing = this.records.find((record) => (record.seq ?? -1) > afterSeq && predicate(record));
    if (existing) return Promise.resolve(existing);
    if (this.closed) return Promise.reject(new KmsgStreamClosedError(what));
    if (options.signal?.aborted) return Promise.reject(options.signal.reason);
    return new Promise((resolve, reject) => {
      const cleanup = () => {
        clearTimeout(timer);
        this.off('record', onRecord);
        this.off('closed', onClosed);
        options.signal?.removeEventListener('abort', onAbort);
      };
      const onAbort = () => {
        cleanup();
        reject(options.signal?.reason);
      };
      const onRecord = (record: LogRecord) => {
        if ((record.seq ?? -1) <= afterSeq || !predicate(record)) return;
        cleanup();
        resolve(record);
      };
      const onClosed = () => {
        cleanup();
        reject(new KmsgStreamClosedError(what));
      };
      const timer = setTimeout(() => {
        cleanup();
        reject(new TimeoutError('kernel-log', options.timeoutMs, `no kernel log record matched ${what} within ${(options.timeoutMs / 1000).toFixed(1)} s`));
      }, options.timeoutMs);
      this.on('record', onRecord);
      this.on('closed', onClosed);
      options.signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  /**
   * Ends the guest loop and the SSH channel. Safe to call more than once and after the
   * guest died (the kill command then fails, which is fine: the channel is closed anyway).
   */
  stop(): Promise<void> {
    this.stopping ??= this.doStop();
    return this.stopping;
  }

  private async doStop(): Promise<void> {
    if (this.guestPid !== null && !this.closed) {
      await this.transport.exec(kmsgStopCommand(this.guestPid), { timeoutMs: 10_000 }).catch(() => {});
    }
    this.stream?.stop();
    if (this.stream) {
      await Promise.race([this.stream.closed, new Promise<void>((resolve) => setTimeout(resolve, 5_000).unref())]);
    }
    this.onClosed();
  }

  private onData(chunk: Buffer): void {
    if (this.closed) return;
    this.splitter.push(chunk);
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.idleTimer = setTimeout(() => {
      this.idleTimer = null;
      this.splitter.flushIfLineComplete();
    }, IDLE_FLUSH_MS);
  }

  private onClosed(): void {
    if (this.closed) return;
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.idleTimer = null;
    this.splitter.end();
    this.closed = true;
    this.emit('closed');
  }

  private onRawRecord(raw: string): void {
    const parsed = parseKmsgRecord(raw);
    if (!parsed) {
      this.onOtherLine(raw);
      return;
    }
    // A reopened descriptor replays the ring buffer from its oldest record.
    if (this.lastSeq !== null && parsed.seq <= this.lastSeq) return;
    const expected = this.lastSeq === null ? 0 : this.lastSeq + 1;
    if (parsed.seq > expected) {
      const gap: RecordLoss = { afterSeq: this.lastSeq, nextSeq: parsed.seq, lost: parsed.seq - expected, cause: 'ring-buffer' };
      this.gaps.push(gap);
      this.emit('loss', gap);
    }
    this.lastSeq = parsed.seq;
    const record = kmsgToLogRecord(parsed, this.clock());
    this.records.push(record);
    if (this.records.length > this.maxRecords) {
      const dropped = this.records.shift();
      this.trimmedThroughSeq = dropped?.seq ?? this.trimmedThroughSeq;
    }
    this.emit('kmsg', parsed);
    this.emit('record', record);
  }

  private onOtherLine(line: string): void {
    const control = parseKmsgControlLine(line);
    if (control?.kind === 'pid') {
      this.guestPid = control.pid;
      for (const waiter of [...this.pidWaiters]) waiter(control.pid);
      return;
    }
    if (control?.kind === 'reopen') return;
    if (line.length > 0 && this.otherLines.length < 100) this.otherLines.push(line);
  }

  private waitForPid(timeoutMs: number): Promise<number> {
    return new Promise((resolve, reject) => {
      const settle = (error: Error | null, pid?: number) => {
        clearTimeout(timer);
        this.off('closed', onClosed);
        this.pidWaiters = this.pidWaiters.filter((waiter) => waiter !== onPid);
        if (error) reject(error);
        else resolve(pid ?? -1);
      };
      const onPid = (pid: number) => settle(null, pid);
      const onClosed = () => settle(new KmsgStreamClosedError("the kmsg loop's start"));
      const timer = setTimeout(() => settle(new Error(`the guest's kmsg loop did not start within ${timeoutMs} ms`)), timeoutMs);
      this.pidWaiters.push(onPid);
      this.once('closed', onClosed);
    });
  }
}
