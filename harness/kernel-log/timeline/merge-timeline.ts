import type { LogRecord, LogSource } from '../records/log-record.ts';

/**
 * One line of the merged kernel log. A kernel message seen on both channels is one entry:
 * `record` is then the kmsg record (it has the seq and level) and `console` holds the
 * console line(s) it was printed as (several for a multi-line record).
 */
export interface TimelineEntry {
  record: LogRecord;
  sources: LogSource[];
  kmsg?: LogRecord;
  console: LogRecord[];
}

interface KmsgSlot {
  record: LogRecord;
  lines: string[];
  console: LogRecord[];
}

interface ConsoleOnly {
  record: LogRecord;
  /** Kernel time, or for userspace lines an estimate from the host clock (see below). */
  time: number | undefined;
  /** Index of the last matched kmsg slot before this line in console order (-1: none). */
  after: number;
  /** Index of the next matched kmsg slot after it (slots.length: none). */
  before: number;
}

/**
 * Merges /dev/kmsg records and serial console records into one timeline.
 *
 * - Matching: a console line with a kernel timestamp is the kmsg record with the same
 *   timestamp and text (line by line for multi-line records). Matches are monotone: the
 *   console prints records in seq order, so a match never goes back in seq.
 * - Order: kmsg records stay in seq order and console lines in console order; console-only
 *   lines (the panic trailer after sshd died, userspace output) go right after the matched
 *   line that preceded them on the console, and among kmsg-only records (level 7, below
 *   the console loglevel) by kernel time. A userspace line has no kernel time: its host
 *   arrival time minus the host-to-kernel offset of the last matched line stands in for it.
 *   Equal inputs always give the same output.
 */
export function mergeTimeline(kmsg: readonly LogRecord[], console: readonly LogRecord[]): TimelineEntry[] {
  const slots: KmsgSlot[] = [...kmsg]
    .map((record, index) => ({ record, index }))
    .sort((left, right) => (left.record.seq ?? left.index) - (right.record.seq ?? right.index) || left.index - right.index)
    .map(({ record }) => ({ record, lines: record.text.split('\n'), console: [] }));
  const byTime = indexByTime(slots);
  const consoleOnly: ConsoleOnly[] = [];
  const matchedAt: number[] = [];
  let lastMatched = -1;
  let hostOffsetUs: number | undefined;

  for (const line of console) {
    const slot = line.kernelTimeUs === undefined ? -1 : findSlot(slots, byTime.get(line.kernelTimeUs) ?? [], lastMatched, line.text);
    if (slot === -1) {
      const estimate = line.hostMs !== undefined && hostOffsetUs !== undefined ? line.hostMs * 1000 - hostOffsetUs : undefined;
      consoleOnly.push({ record: line, time: line.kernelTimeUs ?? estimate, after: lastMatched, before: -1 });
      continue;
    }
    if (line.hostMs !== undefined && line.kernelTimeUs !== undefined) hostOffsetUs = line.hostMs * 1000 - line.kernelTimeUs;
    slots[slot]?.console.push(line);
    if (slot !== lastMatched) matchedAt.push(slot);
    lastMatched = slot;
  }
  // Each console-only line must come before the next matched slot in console order
  // (`after` only grows along the console, so one pointer walks matchedAt once).
  let pointer = 0;
  for (const entry of consoleOnly) {
    while (pointer < matchedAt.length && (matchedAt[pointer] ?? 0) <= entry.after) pointer++;
    entry.before = matchedAt[pointer] ?? slots.length;
  }

  const timeline: TimelineEntry[] = [];
  let next = 0;
  const emitSlot = () => {
    const slot = slots[next++];
    if (slot) timeline.push(slotEntry(slot));
  };
  for (const entry of consoleOnly) {
    while (next <= entry.after) emitSlot();
    const time = entry.time;
    if (time !== undefined) {
      while (next < entry.before && (slots[next]?.record.kernelTimeUs ?? Number.POSITIVE_INFINITY) <= time) emitSlot();
    }
    timeline.push({ record: entry.record, sources: ['console'], console: [entry.record] });
  }
  while (next < slots.length) emitSlot();
  return timeline;
}

/** The records of a timeline, for parsers that take LogRecord[] (events, crashes). */
export function timelineRecords(timeline: readonly TimelineEntry[]): LogRecord[] {
  return timeline.map((entry) => entry.record);
}

function indexByTime(slots: readonly KmsgSlot[]): Map<number, number[]> {
  const map = new Map<number, number[]>();
  slots.forEach((slot, index) => {
    const time = slot.record.kernelTimeUs;
    if (time === undefined) return;
    const list = map.get(time);
    if (list) list.push(index);
    else map.set(time, [index]);
  });
  return map;
}

/** The slot this console line continues or starts, at or after the last match; -1 if none. */
function findSlot(slots: readonly KmsgSlot[], candidates: readonly number[], lastMatched: number, text: string): number {
  for (const index of candidates) {
    if (index < lastMatched) continue;
    const slot = slots[index];
    if (!slot) continue;
    const nextLine = slot.console.length;
    if (nextLine < slot.lines.length && slot.lines[nextLine] === text) return index;
  }
  return -1;
}

function slotEntry(slot: KmsgSlot): TimelineEntry {
  return {
    record: slot.record,
    sources: slot.console.length > 0 ? ['kmsg', 'console'] : ['kmsg'],
    kmsg: slot.record,
    console: slot.console,
  };
}
