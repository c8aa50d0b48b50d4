import { eventMatches, numberMatches, type EventMatcher, type NumberMatcher } from '../../suite/index.ts';
import { describeCount, describeEventMatcher } from './describe.ts';
import { failed, notAvailable, passed, type CaseObservations, type ExpectationOutcome } from './expectation-outcome.ts';

/**
 * With records lost, a count is known only where what was seen already decides it: lost
 * records can hide more events, never fewer. `at least N` holds once N were seen; `at most N`
 * and `exactly N` fail once more than N were seen; anything else may be wrong either way.
 */
function decidedDespiteLoss(count: NumberMatcher, seen: number): boolean {
  return count.op === 'ge' ? seen >= count.value : seen > count.value;
}

/** `event: TYPE` + fields + `count`: counts the case's kernel events that match. */
export function evaluateEventExpectation(matcher: EventMatcher, count: NumberMatcher, observations: CaseObservations): ExpectationOutcome {
  const matching = observations.events.filter((located) => eventMatches(matcher, located.event, observations.refs));
  const wanted = `${describeCount(count)} kernel event${count.value === 1 ? '' : 's'} ${describeEventMatcher(matcher, observations.refs)}`;
  const lost = observations.lostRecords;
  if (lost > 0 && !decidedDespiteLoss(count, matching.length)) {
    return notAvailable(`${lost} kernel log record${lost === 1 ? ' was' : 's were'} lost in the case's window (the ring buffer overflowed), so whether the kernel logged ${wanted} is not known; seen: ${matching.length}`);
  }
  if (numberMatches(count, matching.length)) return passed({ count: matching.length, lines: matching.map((located) => located.record.text) });
  const sameType = observations.events.filter((located) => located.event.type === matcher.type).map((located) => located.record.text);
  const seen =
    matching.length > 0
      ? `the kernel logged ${matching.length}: ${matching.slice(0, 5).map((located) => located.record.text).join(' | ')}`
      : sameType.length > 0
        ? `the kernel logged none matching; '${matcher.type}' events it did log: ${sameType.slice(0, 5).join(' | ')}`
        : `the kernel logged no '${matcher.type}' event${observations.events.length ? ` (events it did log: ${[...new Set(observations.events.map((located) => located.event.type))].join(', ')})` : ' and no memory-error event at all'}`;
  return failed(`expected ${wanted}; ${seen}`, { event: matcher.type, fields: matcher.fields, count }, { count: matching.length, sameType });
}
