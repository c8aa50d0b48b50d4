/**
 * The kernel log as structured data: records from /dev/kmsg and the serial console, one
 * merged timeline, typed memory-error events, and crash reports.
 */
export type { LogRecord, LogSource } from './records/log-record.ts';
export { parseKmsgRecord, unescapeKmsg, kmsgToLogRecord, type KmsgRecord } from './records/kmsg-record.ts';
export { KmsgSplitter, splitKmsgText } from './records/kmsg-splitter.ts';
export { parseConsoleLine, parseConsoleLog, formatConsoleLogLine } from './records/console-record.ts';

export { KmsgReader, KmsgStreamClosedError, type KmsgMark, type KmsgReaderOptions, type KmsgSlice } from './reader/kmsg-reader.ts';
export { startGuestKmsgReader } from './reader/guest-kmsg-reader.ts';
export type { KmsgTransport, KmsgStreamHandle } from './reader/kmsg-transport.ts';
export type { RecordLoss } from './reader/record-loss.ts';

export { mergeTimeline, timelineRecords, type TimelineEntry } from './timeline/merge-timeline.ts';

export type * from './events/kernel-event.ts';
export { parseKernelEvent, matchKernelEvent, kernelEvents, eventsOfType, type EventMatch, type LocatedEvent } from './events/parse-event.ts';
export { waitForKernelEvent } from './events/wait-for-event.ts';
export { EVENT_TABLES } from './events/event-tables.ts';
export type { EventPattern, EventPatternTable, KernelSeries } from './events/event-pattern.ts';
export { ACTION_PAGE_TYPES } from './events/tables/memory-failure.ts';
export { MCE_SEVERITY_MESSAGES, mceSeverityGrade } from './events/tables/mce-severity.ts';
export { MCE_PANIC_MESSAGES } from './events/tables/mce-core.ts';
export { normalisePfn, normaliseHex, pfnToBigInt, pfnOfPhysAddr, physAddrOfPfn, isPfn, type Pfn, type Hex } from './events/pfn.ts';
export { printkFormatToRegex } from './events/printk-format.ts';

export { parseCrashes, type ParseCrashesOptions } from './crash/parse-crashes.ts';
export { dedupCrashes, type CrashGroup } from './crash/dedup-crashes.ts';
export type { CrashReport } from './crash/crash-report.ts';
export { OOPS_HEADERS, type CrashKind, type OopsHeader } from './crash/oops-table.ts';
export { normaliseTitle } from './crash/normalise-title.ts';
export { guiltyFunction, stackFrames, type StackFrame } from './crash/stack-frames.ts';
export { decodeTaint, taintFromLine, formatTaintLetters, TAINT_FLAGS, type TaintFlag, type TaintState } from './crash/taint.ts';
