import type { LogRecord } from '../records/log-record.ts';
import { compileTable, matchFields, type CompiledPattern, type EventPattern, type EventPatternTable } from './event-pattern.ts';
import { EVENT_TABLES } from './event-tables.ts';
import type { KernelEvent, KernelEventType } from './kernel-event.ts';

const COMPILED: readonly CompiledPattern[] = EVENT_TABLES.flatMap(compileTable);

export interface EventMatch {
  event: KernelEvent;
  table: EventPatternTable;
  pattern: EventPattern;
}

/** The event a log line describes, with the table entry that recognised it; null for unrelated lines. */
export function matchKernelEvent(text: string): EventMatch | null {
  for (const compiled of COMPILED) {
    const fields = matchFields(compiled, text);
    if (!fields) continue;
    const event = compiled.pattern.build(fields);
    if (event) return { event, table: compiled.table, pattern: compiled.pattern };
  }
  return null;
}

/** The event a log line describes; null for lines about anything else. */
export function parseKernelEvent(text: string): KernelEvent | null {
  return matchKernelEvent(text)?.event ?? null;
}

export interface LocatedEvent<E extends KernelEvent = KernelEvent> {
  event: E;
  record: LogRecord;
  /** Index of the record in the list that was searched. */
  index: number;
}

/** Every event in a list of records, in order. */
export function kernelEvents(records: readonly LogRecord[]): LocatedEvent[] {
  const found: LocatedEvent[] = [];
  records.forEach((record, index) => {
    const event = parseKernelEvent(record.text);
    if (event) found.push({ event, record, index });
  });
  return found;
}

/** Events of one kind, typed: `eventsOfType(records, 'memory-failure')[0].event.pfn`. */
export function eventsOfType<T extends KernelEventType>(records: readonly LogRecord[], type: T): Array<LocatedEvent<Extract<KernelEvent, { type: T }>>> {
  return kernelEvents(records).filter((found): found is LocatedEvent<Extract<KernelEvent, { type: T }>> => found.event.type === type);
}
