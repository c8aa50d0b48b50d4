import type { KmsgMark, KmsgReader } from '../reader/kmsg-reader.ts';
import type { KernelEvent, KernelEventType } from './kernel-event.ts';
import { parseKernelEvent, type LocatedEvent } from './parse-event.ts';

/**
 * Waits for the first event of a kind (and, optionally, matching more) after a mark:
 *   const mark = await reader.markInKernelLog('inject');
 *   ...inject...
 *   const { event } = await waitForKernelEvent(reader, 'memory-failure', { after: mark, where: (e) => e.pfn === pfn });
 */
export async function waitForKernelEvent<T extends KernelEventType>(
  reader: KmsgReader,
  type: T,
  options: { after: KmsgMark; timeoutMs?: number; where?: (event: Extract<KernelEvent, { type: T }>) => boolean },
): Promise<LocatedEvent<Extract<KernelEvent, { type: T }>>> {
  const matches = (event: KernelEvent | null): event is Extract<KernelEvent, { type: T }> =>
    event !== null && event.type === type && (options.where?.(event as Extract<KernelEvent, { type: T }>) ?? true);
  const record = await reader.waitFor((candidate) => matches(parseKernelEvent(candidate.text)), {
    timeoutMs: options.timeoutMs ?? 30_000,
    after: options.after,
    what: `a '${type}' kernel event`,
  });
  const event = parseKernelEvent(record.text);
  if (!matches(event)) throw new Error(`internal: record ${record.seq} matched while waiting but does not parse as '${type}'`);
  const all = reader.all();
  return { event, record, index: all.indexOf(record) };
}
