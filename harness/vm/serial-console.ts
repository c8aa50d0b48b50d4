import { TimeoutError } from '../util/timeout-error.ts';
import { EventEmitter } from 'node:events';
import fs from 'node:fs';

export interface ConsoleLine {
  /** Milliseconds since QEMU was started. */
  atMs: number;
  text: string;
}

export interface SerialConsoleOptions {
  logPath: string;
  startedAt: number;
  /** Bytes of console text written to the log at most; a guest can print forever. */
  maxLogBytes?: number;
  /** Lines kept in memory for error messages and late watchers. */
  tailLines?: number;
  /** A single line longer than this is cut (binary garbage has no newlines). */
  maxLineLength?: number;
}

const DEFAULT_MAX_LOG_BYTES = 64 * 1024 * 1024;
const DEFAULT_TAIL_LINES = 400;
const DEFAULT_MAX_LINE = 4096;

/**
 * The guest's serial console as timestamped lines: written to a log file (each line prefixed
 * with seconds since QEMU start, like dmesg), kept as a bounded in-memory tail, and emitted
 * as 'line' events that later layers watch (boot markers, oopses, injection timelines).
 * Guest output is untrusted: lines and the log are size-capped, and anything rendered to a
 * terminal goes through `escapeConsoleText`.
 */
export class SerialConsole extends EventEmitter<{ line: [ConsoleLine]; closed: [] }> {
  readonly logPath: string;
  private readonly startedAt: number;
  private readonly maxLogBytes: number;
  private readonly tailLimit: number;
  private readonly maxLineLength: number;
  private readonly log: fs.WriteStream;
  private readonly tail: ConsoleLine[] = [];
  private partial = '';
  private loggedBytes = 0;
  private truncated = false;
  private closed = false;

  constructor(options: SerialConsoleOptions) {
    super();
    this.logPath = options.logPath;
    this.startedAt = options.startedAt;
    this.maxLogBytes = options.maxLogBytes ?? DEFAULT_MAX_LOG_BYTES;
    this.tailLimit = options.tailLines ?? DEFAULT_TAIL_LINES;
    this.maxLineLength = options.maxLineLength ?? DEFAULT_MAX_LINE;
    this.log = fs.createWriteStream(this.logPath, { flags: 'a' });
  }

  /** Feed raw bytes from QEMU's serial chardev. */
  push(chunk: Buffer | string): void {
    if (this.closed) return;
    this.partial += typeof chunk === 'string' ? chunk : chunk.toString('latin1');
    let newline = this.partial.indexOf('\n');
    while (newline !== -1) {
      this.emitLine(this.partial.slice(0, newline));
      this.partial = this.partial.slice(newline + 1);
      newline = this.partial.indexOf('\n');
    }
    if (this.partial.length > this.maxLineLength) {
      this.emitLine(this.partial);
      this.partial = '';
    }
  }

  /** Flushes a last unterminated line and closes the log. */
  async close(): Promise<void> {
    if (this.closed) return;
    if (this.partial) this.emitLine(this.partial);
    this.partial = '';
    this.closed = true;
    this.emit('closed');
    await new Promise<void>((resolve) => this.log.end(resolve));
  }

  get isClosed(): boolean {
    return this.closed;
  }

  lines(): readonly ConsoleLine[] {
    return this.tail;
  }

  /** The last `count` lines, escaped, for an error message. */
  tailText(count = 40): string {
    return this.tail
      .slice(-count)
      .map((line) => `[${formatSeconds(line.atMs)}] ${escapeConsoleText(line.text)}`)
      .join('\n');
  }

  /**
   * Resolves with the first line (from now on, or already in the tail when `includeTail`)
   * that matches. Rejects when the console closes (QEMU exited) or the deadline passes.
   */
  waitForLine(pattern: RegExp, options: { timeoutMs: number; includeTail?: boolean; signal?: AbortSignal }): Promise<ConsoleLine> {
    if (options.includeTail) {
      const seen = this.tail.find((line) => pattern.test(line.text));
      if (seen) return Promise.resolve(seen);
    }
    return new Promise((resolve, reject) => {
      const cleanup = () => {
        clearTimeout(timer);
        this.off('line', onLine);
        this.off('closed', onClosed);
        options.signal?.removeEventListener('abort', onAbort);
      };
      const onLine = (line: ConsoleLine) => {
        if (!pattern.test(line.text)) return;
        cleanup();
        resolve(line);
      };
      const onClosed = () => {
        cleanup();
        reject(new ConsoleClosedError(pattern));
      };
      const onAbort = () => {
        cleanup();
        reject(options.signal?.reason ?? new Error('aborted'));
      };
      const timer = setTimeout(() => {
        cleanup();
        reject(new TimeoutError('console', options.timeoutMs, `no console line matched ${pattern} within ${(options.timeoutMs / 1000).toFixed(0)} s`));
      }, options.timeoutMs);
      if (this.closed) return onClosed();
      this.on('line', onLine);
      this.on('closed', onClosed);
      options.signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  private emitLine(raw: string): void {
    const text = (raw.endsWith('\r') ? raw.slice(0, -1) : raw).slice(0, this.maxLineLength);
    const line: ConsoleLine = { atMs: Date.now() - this.startedAt, text };
    this.tail.push(line);
    if (this.tail.length > this.tailLimit) this.tail.shift();
    this.writeLog(line);
    this.emit('line', line);
  }

  private writeLog(line: ConsoleLine): void {
    if (this.truncated) return;
    const entry = `[${formatSeconds(line.atMs)}] ${line.text}\n`;
    if (this.loggedBytes + entry.length > this.maxLogBytes) {
      this.truncated = true;
      this.log.write(`[${formatSeconds(line.atMs)}] memharness: console log truncated at ${this.maxLogBytes} bytes\n`);
      return;
    }
    this.loggedBytes += entry.length;
    this.log.write(entry);
  }
}

export class ConsoleClosedError extends Error {
  constructor(readonly pattern: RegExp) {
    super(`the guest console closed (QEMU exited) before a line matched ${pattern}`);
  }
}

function formatSeconds(ms: number): string {
  return (ms / 1000).toFixed(3).padStart(9, ' ');
}

/**
 * Makes guest text safe to print on a terminal: control characters (escape sequences could
 * rewrite the user's screen or title) become visible \xNN escapes; tabs stay.
 */
export function escapeConsoleText(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g, (ch) => `\\x${ch.charCodeAt(0).toString(16).padStart(2, '0')}`);
}
