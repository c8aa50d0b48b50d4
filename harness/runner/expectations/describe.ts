import { describeNumberMatcher, type EventMatcher, type NumberMatcher, type RefValues } from '../../suite/index.ts';
import { resolveForText } from '../step-outcome.ts';

/** `'memory-failure' with pfn=$t0.pfn=0x1234 result=Recovered` */
export function describeEventMatcher(matcher: EventMatcher, refs: RefValues): string {
  const fields = Object.entries(matcher.fields).map(([field, want]) => `${field}=${resolveForText(want, refs)}`);
  return `'${matcher.type}'${fields.length ? ` with ${fields.join(' ')}` : ''}`;
}

export function describeCount(count: NumberMatcher): string {
  if (count.op === 'eq' && count.value === 0) return 'no';
  return describeNumberMatcher(count);
}

export function signed(value: number): string {
  return value > 0 ? `+${value}` : String(value);
}
