import type { LogRecord } from '../records/log-record.ts';
import type { CrashReport } from './crash-report.ts';
import { normaliseTitle } from './normalise-title.ts';
import { OOPS_HEADERS, REPORT_END, type OopsHeader } from './oops-table.ts';
import { guiltyFunction, stackFrames } from './stack-frames.ts';
import { taintFromLine, type TaintState } from './taint.ts';

export interface ParseCrashesOptions {
  /** Recorded in every report, so it can point at the whole log. */
  logPath?: string;
}

// A report runs at most this long; an oops prints in one burst, even under TCG.
const MAX_LINES = 400;
const MAX_SPAN_US = 10_000_000;
// Lines a stack dump is made of: once "Call Trace:" was seen, the first other line ends it.
const TRACE_LINE =
  /^(?:\s+\S|\s*<\/?(?:TASK|IRQ|NMI|EOI|SOFTIRQ|#DF|#MC)>|\s*\? |Call Trace:|RIP: |Code: |RSP: |RAX: |RDX: |RBP: |R\d+: |FS: |CS: |CR2: |DR[0-9]: |PKRU: |Modules linked in:|CPU: |Hardware name: |Tainted: |Kernel Offset: |Kernel panic - not syncing|Rebooting in |---\[ end |Dumping ftrace|Workqueue: |irq event stamp:|hardirqs |softirqs )/;

interface OpenReport {
  header: OopsHeader;
  match: RegExpExecArray;
  startIndex: number;
  headerIndex: number;
  lines: Array<{ index: number; text: string }>;
  startUs: number | undefined;
  inTrace: boolean;
  traceEnded: boolean;
}

/**
 * Finds crash reports in a log (kmsg records, console records, or a merged timeline).
 * Console lines without a kernel timestamp are userspace output: never a header, never
 * part of a report's text. A report is the header (plus context before it, like "cut
 * here" or a page dump) through the end of the oops.
 */
export function parseCrashes(records: readonly LogRecord[], options: ParseCrashesOptions = {}): CrashReport[] {
  const timed = records.some((record) => record.kernelTimeUs !== undefined);
  const isKernel = (record: LogRecord) => record.source === 'kmsg' || !timed || record.kernelTimeUs !== undefined;
  const reports: CrashReport[] = [];
  let open: OpenReport | null = null;
  const close = () => {
    if (open) reports.push(finish(open, options));
    open = null;
  };

  records.forEach((record, index) => {
    if (!isKernel(record)) return;
    const text = record.text;
    const header = matchHeader(text);
    if (header && !(open && header.header.continues)) {
      close();
      const startIndex = lookBackStart(records, index, header.header, isKernel, reports);
      const context = records
        .slice(startIndex, index)
        .map((candidate, offset) => ({ index: startIndex + offset, record: candidate }))
        .filter((line) => isKernel(line.record))
        .map((line) => ({ index: line.index, text: line.record.text }));
      open = {
        header: header.header,
        match: header.match,
        startIndex,
        headerIndex: index,
        lines: [...context, { index, text }],
        startUs: record.kernelTimeUs,
        inTrace: false,
        traceEnded: false,
      };
      if (header.header.scope === 'line') close();
      return;
    }
    if (!open) return;
    const current: OpenReport = open;
    const tooLate = current.startUs !== undefined && record.kernelTimeUs !== undefined && record.kernelTimeUs - current.startUs > MAX_SPAN_US;
    if (tooLate || current.lines.length >= MAX_LINES) {
      close();
      return;
    }
    if (current.inTrace && !TRACE_LINE.test(text) && !header) {
      close();
      return;
    }
    current.lines.push({ index, text });
    if (/^Call Trace:/.test(text)) current.inTrace = true;
    if (REPORT_END.test(text)) close();
  });
  close();
  return reports;
}

function matchHeader(text: string): { header: OopsHeader; match: RegExpExecArray } | null {
  for (const header of OOPS_HEADERS) {
    const match = header.header.exec(text);
    if (match) return { header, match };
  }
  return null;
}

/** Where a report starts once its `lookBack` context is included (never inside an earlier report). */
function lookBackStart(records: readonly LogRecord[], index: number, header: OopsHeader, isKernel: (record: LogRecord) => boolean, reports: readonly CrashReport[]): number {
  const floor = (reports.at(-1)?.lastRecordIndex ?? -1) + 1;
  const lookBack = header.lookBack;
  if (!lookBack) return index;
  let seen = 0;
  let start = index;
  for (let candidate = index - 1; candidate >= floor && seen < lookBack.maxLines; candidate--) {
    const record = records[candidate];
    if (!record || !isKernel(record)) continue;
    seen++;
    if (lookBack.contiguous) {
      if (!lookBack.contiguous.test(record.text)) break;
      if (lookBack.pattern.test(record.text)) start = candidate;
      continue;
    }
    if (lookBack.pattern.test(record.text)) return candidate;
  }
  return start;
}

function finish(open: OpenReport, options: ParseCrashesOptions): CrashReport {
  const lines = open.lines.map((line) => line.text);
  const func = guiltyFunction(lines.slice(lines.indexOf(open.match.input)));
  const title = capTitle(renderTitle(open.header.title, open.match, func, lines));
  const report: CrashReport = {
    kind: open.header.kind,
    title,
    normalisedTitle: normaliseTitle(title),
    firstRecordIndex: open.lines[0]?.index ?? open.headerIndex,
    lastRecordIndex: open.lines.at(-1)?.index ?? open.headerIndex,
    text: lines.join('\n'),
    taint: findTaint(lines),
  };
  if (func) report.guiltyFunction = func;
  const corruption = corruptionOf(open, lines, func);
  if (corruption) {
    report.corrupted = true;
    report.corruptedReason = corruption;
  }
  if (options.logPath) report.logPath = options.logPath;
  return report;
}

function renderTitle(template: string, match: RegExpExecArray, func: string | null, lines: readonly string[]): string {
  const mceReason = lines.map((line) => /^mce: \[Hardware Error\]: Machine check: (.+)$/.exec(line)?.[1]).find((reason) => reason !== undefined);
  return template
    .replace(/\$(\d)/g, (_, group: string) => match[Number(group)] ?? '')
    .replace(/ in \{func\}/, func ? ` in ${func}` : '')
    .replace('{func}', func ?? '')
    .replace('{mce}', mceReason ? ` (${mceReason})` : '')
    .trim();
}

function findTaint(lines: readonly string[]): TaintState | null {
  // 6.12 adds a verbose "Tainted: [M]=MACHINE_CHECK" line; the CPU line has the same mask.
  for (const line of lines) {
    const taint = taintFromLine(line);
    if (taint) return taint;
  }
  return null;
}

function corruptionOf(open: OpenReport, lines: readonly string[], func: string | null): string | null {
  if (open.header.expectsStack && stackFrames(lines).length === 0) return 'no stack trace in the report';
  if (open.header.expectsStack && !func && /\{func\}/.test(open.header.title)) return 'no guilty frame in the stack trace';
  return null;
}

/**
 * Titles name a crash in lists, mails and compare's "new crash" keys: a header with a long
 * message (a BUG with a path) must not make a paragraph of it. syzkaller caps titles likewise.
 */
export const MAX_TITLE_LENGTH = 120;

export function capTitle(title: string): string {
  return title.length <= MAX_TITLE_LENGTH ? title : `${title.slice(0, MAX_TITLE_LENGTH - 1)}…`;
}
