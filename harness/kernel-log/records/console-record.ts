import type { LogRecord } from './log-record.ts';

/**
 * Serial console lines → LogRecords. A console line is what the guest's UART carried:
 * kernel messages with the printk time prefix "[    3.123456] " (optionally a caller id
 * "[    T1]" / "[    C0]" and a "<6>" level), and everything else the guest printed (the
 * init, a shell prompt). Both share lines: "memharness:/# \x1b[6n[    5.204364] sh (185): ..."
 * is a prompt followed by a kernel message. The part before the kernel timestamp becomes
 * its own record without a kernel time, so no byte of the console is dropped.
 */

// The kernel prints "[%5lu.%06lu]" (seconds widen past 5 digits), then optionally a caller id.
const KERNEL_PREFIX = /(?:<(\d)>)?\[\s*(\d+)\.(\d{6})\](?:\[\s*[CT]\d+\])? ?/;

export function parseConsoleLine(line: string, hostMs?: number): LogRecord[] {
  const text = stripCarriageReturns(line);
  const match = KERNEL_PREFIX.exec(text);
  if (!match) return [consoleRecord({ text }, hostMs)];
  const records: LogRecord[] = [];
  const before = text.slice(0, match.index);
  if (before.trim().length > 0) records.push(consoleRecord({ text: before }, hostMs));
  const kernel: Omit<LogRecord, 'source'> = {
    kernelTimeUs: Number(match[2]) * 1_000_000 + Number(match[3]),
    text: text.slice(match.index + match[0].length),
  };
  if (match[1] !== undefined) kernel.level = Number(match[1]);
  records.push(consoleRecord(kernel, hostMs));
  return records;
}

/**
 * The harness's console.log file (SerialConsole): every line is "[ssss.mmm] " with the
 * host's seconds since QEMU start (three decimals, unlike the kernel's six), then the raw
 * console line. Lines without that prefix are taken as raw console lines.
 */
export function parseConsoleLog(content: string): LogRecord[] {
  const records: LogRecord[] = [];
  const lines = content.split('\n');
  if (lines.at(-1) === '') lines.pop();
  for (const line of lines) {
    const host = /^\[\s*(\d+)\.(\d{3})\] /.exec(line);
    if (host) records.push(...parseConsoleLine(line.slice(host[0].length), Number(host[1]) * 1000 + Number(host[2])));
    else records.push(...parseConsoleLine(line));
  }
  return records;
}

/** Renders a line the way SerialConsole writes console.log, so fixtures look like real logs. */
export function formatConsoleLogLine(atMs: number, text: string): string {
  return `[${(atMs / 1000).toFixed(3).padStart(9, ' ')}] ${text}`;
}

// A UART line can carry "\r\r" or a bare "\r" from a terminal redraw; the text after the
// last CR is what a terminal would show, but the kernel's own line never contains one.
function stripCarriageReturns(line: string): string {
  return line.replace(/\r+$/, '').replace(/^\r+/, '');
}

function consoleRecord(fields: Omit<LogRecord, 'source'>, hostMs: number | undefined): LogRecord {
  const record: LogRecord = { source: 'console', ...fields };
  if (hostMs !== undefined) record.hostMs = hostMs;
  return record;
}
