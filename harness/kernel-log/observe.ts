import { parseCrashes } from './crash/parse-crashes.ts';
import type { CrashReport } from './crash/crash-report.ts';
import { kernelEvents, type LocatedEvent } from './events/parse-event.ts';
import { KMSG_MARK_PREFIX } from './reader/kmsg-command.ts';
import type { KmsgMark, KmsgSlice } from './reader/kmsg-reader.ts';
import type { RecordLoss } from './reader/record-loss.ts';
import { parseConsoleLine } from './records/console-record.ts';
import type { LogRecord } from './records/log-record.ts';
import { mergeTimeline, type TimelineEntry } from './timeline/merge-timeline.ts';

/**
 * The one observer of the kernel log: what `run` (a case) and `inject` (one injection) saw
 * the kernel say between two marks, from both channels. Pure: the caller hands in what the
 * reader and the console hold, so it is tested on recorded guests.
 */
export interface ObserveInput {
  /** /dev/kmsg records after the start mark, up to and including the end mark when there is one. */
  kmsg: readonly LogRecord[];
  /** Records the host never saw inside that window (ring-buffer overflow, reader cap). */
  losses: readonly RecordLoss[];
  /** Serial console records from about the start (earlier lines are cut by `fromUs`). */
  console: readonly LogRecord[];
  /** Kernel time of the start mark: console kernel lines before it belong to an earlier window. */
  fromUs?: number;
  /** Kernel time of the end mark (absent when the guest died before one could be written). */
  toUs?: number;
  /** Whether the guest was still running when the window closed. */
  alive: boolean;
  /** The console log file, named in every crash report. */
  logPath?: string;
}

export interface Observation {
  /** kmsg and console merged into one line-by-line log, the harness's marks removed. */
  lines: LogRecord[];
  /** The merged entries (one per kernel record), for artifacts and debugging. */
  timeline: TimelineEntry[];
  /** Typed memory-error events, in log order. */
  events: LocatedEvent[];
  /** Every crash report in the window, in log order, corrupted ones included (with the reason). */
  crashes: CrashReport[];
  losses: RecordLoss[];
  /** Records lost inside the window: 0 means the evidence is complete. */
  lostRecords: number;
  alive: boolean;
}

export function observe(input: ObserveInput): Observation {
  const inWindow = (record: LogRecord): boolean =>
    record.kernelTimeUs === undefined ||
    ((input.fromUs === undefined || record.kernelTimeUs >= input.fromUs) && (input.toUs === undefined || record.kernelTimeUs <= input.toUs));
  const timeline = mergeTimeline(input.kmsg, input.console.filter(inWindow));
  const lines = timeline.flatMap(entryLines).filter((record) => !record.text.startsWith(KMSG_MARK_PREFIX));
  // Userspace console output (no kernel time) is never a kernel event.
  const kernelLines = lines.filter((record) => record.source === 'kmsg' || record.kernelTimeUs !== undefined);
  return {
    lines,
    timeline,
    events: kernelEvents(kernelLines),
    crashes: parseCrashes(lines, input.logPath === undefined ? {} : { logPath: input.logPath }),
    losses: [...input.losses],
    lostRecords: input.losses.reduce((sum, loss) => sum + loss.lost, 0),
    alive: input.alive,
  };
}

/**
 * A timeline entry as log lines: a multi-line kmsg record (its text holds "\n") becomes one
 * line per printed line, so crash headers and event patterns, written per line, match it;
 * the console's copy of a line lends it the host arrival time.
 */
function entryLines(entry: TimelineEntry): LogRecord[] {
  const texts = entry.record.text.split('\n');
  if (texts.length === 1) return [withHostTime(entry.record, entry.console[0])];
  return texts.map((text, index) => withHostTime({ ...entry.record, text }, entry.console[index]));
}

function withHostTime(record: LogRecord, consoleLine: LogRecord | undefined): LogRecord {
  if (record.hostMs !== undefined || consoleLine?.hostMs === undefined) return record;
  return { ...record, hostMs: consoleLine.hostMs };
}

/** The window between two marks a reader wrote: what `run` (a case) and `inject` hand to observe(). */
export interface MarkedWindow {
  /** kmsg.since(start): the records and losses after the start mark. */
  slice: KmsgSlice;
  start: KmsgMark;
  /** null when the guest died before an end mark could be written: the window runs to the end. */
  end: KmsgMark | null;
  /** Raw serial console lines from about the start (host arrival ms since QEMU started). */
  console: ReadonlyArray<{ text: string; atMs: number }>;
  alive: boolean;
  logPath?: string;
}

/**
 * observe() over a marked window: kmsg records and losses through the end mark (what comes
 * after it, e.g. the target probes, is not the window's), console lines within the marks'
 * kernel times.
 */
export function observeBetweenMarks(window: MarkedWindow): Observation {
  const { slice, start, end } = window;
  return observe({
    kmsg: slice.records.filter((record) => end === null || (record.seq ?? 0) <= end.afterSeq),
    losses: slice.losses.filter((loss) => end === null || loss.nextSeq <= end.afterSeq),
    console: window.console.flatMap((line) => parseConsoleLine(line.text, line.atMs)),
    ...(start.kernelTimeUs === undefined ? {} : { fromUs: start.kernelTimeUs }),
    ...(end?.kernelTimeUs === undefined ? {} : { toUs: end.kernelTimeUs }),
    alive: window.alive,
    ...(window.logPath === undefined ? {} : { logPath: window.logPath }),
  });
}
