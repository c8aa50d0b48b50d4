import { numberMatches, type ExpectationCheck } from '../../suite/index.ts';
import { describeSigbus, describeSigbusMatcher, sigbusMatches } from '../step-outcome.ts';
import { describeCount } from './describe.ts';
import { failed, passed, type CaseObservations, type ExpectationOutcome } from './expectation-outcome.ts';

/** `sigbus:` with a count, over every SIGBUS the helper got during the case. */
export function evaluateSigbusExpectation(check: Extract<ExpectationCheck, { kind: 'sigbus' }>, observations: CaseObservations): ExpectationOutcome {
  const matching = observations.sigbus.filter((got) => sigbusMatches(check.sigbus, got, observations.refs));
  if (numberMatches(check.count, matching.length)) return passed({ count: matching.length });
  const all = observations.sigbus.map(describeSigbus);
  const anySignal = check.sigbus.code === null && check.sigbus.addr === null && check.sigbus.lsb === null && check.sigbus.async === null;
  const want = anySignal ? `${describeCount(check.count)} SIGBUS` : `${describeCount(check.count)} SIGBUS ${describeSigbusMatcher(check.sigbus, observations.refs)}`;
  return failed(`expected ${want}; the helper got ${all.length ? `${all.length}: ${all.join(' | ')}` : 'none'}${observations.helperEnd?.signal ? ` and was killed by SIG${observations.helperEnd.signal}` : ''}`, want, all);
}

/** `helper: alive|exited|killed...`: how the helper process ended. */
export function evaluateHelperExpectation(check: Extract<ExpectationCheck, { kind: 'helper' }>, observations: CaseObservations): ExpectationOutcome {
  const end = observations.helperEnd;
  const actual = !end ? 'alive' : end.signal ? `killed-by-sig${end.signal.toLowerCase()}` : `exited (status ${end.exitCode})`;
  const ok = check.outcome === 'alive' ? !end : check.outcome === 'exited' ? !!end && !end.signal : !!end?.signal && (check.signal === null || end.signal === check.signal);
  const want = check.outcome === 'killed' && check.signal ? `killed-by-sig${check.signal.toLowerCase()}` : check.outcome;
  return ok ? passed(actual) : failed(`expected the helper to be ${want}, it was ${actual}`, want, actual);
}

/** `target: t0` + `data:` / `pfn:`: the target's content and PFN after the steps. */
export function evaluateTargetExpectation(check: Extract<ExpectationCheck, { kind: 'target' }>, observations: CaseObservations): ExpectationOutcome {
  const after = observations.targets.get(check.target);
  if (!after) return failed(`target ${check.target} was never prepared`, check, null);
  const problems: string[] = [];
  const actual = { data: after.intact === null ? 'unreadable' : after.intact ? 'intact' : 'corrupt', pfnBefore: `0x${after.pfnBefore.toString(16)}`, pfnAfter: after.pfnAfter === null ? null : `0x${after.pfnAfter.toString(16)}` };
  if (check.data !== null) {
    if (after.intact === null) problems.push(`its data could not be read${after.problem ? ` (${after.problem})` : ''}`);
    else if ((check.data === 'intact') !== after.intact) problems.push(`expected its data ${check.data}, it was ${actual.data}`);
  }
  if (check.pfn !== null) {
    // `since: ID`: from the PFN it had right after that step, instead of the prepared one.
    const from = check.since === null ? after.pfnBefore : observations.refs.after?.(check.target, check.since);
    const fromText = check.since === null ? '' : ` since step ${check.since}`;
    if (check.since !== null) Object.assign(actual, { since: check.since, pfnSince: from === undefined ? null : `0x${from.toString(16)}` });
    if (from === undefined) problems.push(`expected its PFN ${check.pfn === 'moved' ? 'to move' : 'to stay'}${fromText}, but no PFN was read after step ${check.since} (it did not run, or no page was mapped then)`);
    else if (after.pfnAfter === null) problems.push(`expected its PFN ${check.pfn === 'moved' ? 'to move' : 'to stay'}${fromText}, but it has no PFN now${after.problem ? ` (${after.problem})` : ''}`);
    else {
      const moved = after.pfnAfter !== from;
      if (moved !== (check.pfn === 'moved')) problems.push(`expected its PFN ${check.pfn === 'moved' ? 'to move' : 'to stay'}${fromText}, it ${moved ? 'moved' : 'stayed'} (0x${from.toString(16)} → ${actual.pfnAfter})`);
    }
  }
  return problems.length === 0 ? passed(actual) : failed(`target ${check.target}: ${problems.join('; ')}`, { data: check.data, pfn: check.pfn, ...(check.since !== null ? { since: check.since } : {}) }, actual);
}

/** `crash: any | { title }`: the guest crashed, as the case meant it to. */
export function evaluateCrashExpectation(check: Extract<ExpectationCheck, { kind: 'crash' }>, observations: CaseObservations): ExpectationOutcome {
  const titles = observations.crashes.map((crash) => crash.title);
  if (check.title === null ? titles.length > 0 : titles.some((title) => new RegExp(check.title!).test(title))) return passed(titles);
  return failed(`expected a crash${check.title ? ` titled /${check.title}/` : ''}; ${titles.length ? `the crashes were: ${titles.join(' | ')}` : 'the kernel did not crash'}`, check.title ?? 'any', titles);
}
