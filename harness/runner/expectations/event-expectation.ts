import { eventMatches, numberMatches, type EventMatcher, type NumberMatcher } from '../../suite/index.ts';
import { describeCount, describeEventMatcher } from './describe.ts';
import { failed, passed, type CaseObservations, type ExpectationOutcome } from './expectation-outcome.ts';

/** `event: TYPE` + fields + `count`: counts the case's kernel events that match. */
export function evaluateEventExpectation(matcher: EventMatcher, count: NumberMatcher, observations: CaseObservations): ExpectationOutcome {
  const matching = observations.events.filter((located) => eventMatches(matcher, located.event, observations.refs));
  const wanted = `${describeCount(count)} kernel event${count.value === 1 ? '' : 's'} ${describeEventMatcher(matcher, observations.refs)}`;
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
