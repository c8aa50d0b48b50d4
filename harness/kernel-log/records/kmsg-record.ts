import type { LogRecord } from './log-record.ts';

/**
 * A parsed /dev/kmsg record (Documentation/ABI/testing/dev-kmsg):
 *   "<prefix>,<seq>,<usec>,<flags>[,<more>...];<text>\n" then optional " KEY=value\n" lines.
 * prefix = facility << 3 | level. The kernel escapes bytes < 0x20, >= 0x7f and '\' as \xNN.
 */
export interface KmsgRecord {
  seq: number;
  level: number;
  facility: number;
  kernelTimeUs: number;
  /** '-' for a whole record, 'c' / '+' for continuation fragments (older kernels). */
  flags: string;
  /** Fields after the flags, e.g. "caller=T1" with CONFIG_PRINTK_CALLER. */
  extraFields: string[];
  /** Unescaped text, one char per byte (latin1), multi-line records keep their '\n'. */
  text: string;
  /** Device properties from the continuation lines (SUBSYSTEM=pnp, DEVICE=+pnp:00:04...). */
  dict: Record<string, string>;
  /** The record exactly as read: header line plus its continuation lines, without the final newline. */
  raw: string;
}

// Level and facility share the first field; seq and usec are plain decimals.
const HEADER = /^(\d+),(\d+),(\d+),([^,;]*)((?:,[^;]*)?);(.*)$/s;

/** Parses one record (header line plus continuation lines); null when it is not one. */
export function parseKmsgRecord(raw: string): KmsgRecord | null {
  const [header = '', ...continuation] = raw.split('\n');
  const match = HEADER.exec(header);
  if (!match) return null;
  const prefix = Number(match[1]);
  const seq = Number(match[2]);
  const usec = Number(match[3]);
  if (!Number.isSafeInteger(seq) || !Number.isSafeInteger(usec)) return null;
  const dict: Record<string, string> = {};
  for (const line of continuation) {
    if (!line.startsWith(' ')) return null;
    const body = unescapeKmsg(line.slice(1));
    const eq = body.indexOf('=');
    if (eq > 0) dict[body.slice(0, eq)] = body.slice(eq + 1);
  }
  return {
    seq,
    level: prefix & 7,
    facility: prefix >> 3,
    kernelTimeUs: usec,
    flags: match[4] ?? '',
    extraFields: (match[5] ?? '').split(',').filter((field) => field.length > 0),
    text: unescapeKmsg(match[6] ?? ''),
    dict,
    raw,
  };
}

/** \xNN → the byte, as a latin1 char (the console decodes its bytes the same way). */
export function unescapeKmsg(text: string): string {
  return text.replace(/\\x([0-9a-fA-F]{2})/g, (_, hex: string) => String.fromCharCode(Number.parseInt(hex, 16)));
}

export function kmsgToLogRecord(record: KmsgRecord, hostMs?: number): LogRecord {
  const result: LogRecord = {
    source: 'kmsg',
    seq: record.seq,
    kernelTimeUs: record.kernelTimeUs,
    level: record.level,
    text: record.text,
  };
  if (hostMs !== undefined) result.hostMs = hostMs;
  return result;
}
