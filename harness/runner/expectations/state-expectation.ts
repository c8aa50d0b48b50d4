import { TAINT_FLAGS } from '../../kernel-log/crash/taint.ts';
import { describeNumberMatcher, numberMatches, type NumberMatcher, type StateCheck } from '../../suite/index.ts';
import { signed } from './describe.ts';
import { failed, notAvailable, passed, type CaseObservations, type ExpectationOutcome } from './expectation-outcome.ts';

function deltaCheck(path: string, matcher: NumberMatcher, delta: number, unit: string): ExpectationOutcome {
  if (numberMatches(matcher, delta)) return passed({ delta });
  const want = matcher.op === 'eq' ? signed(matcher.value) : describeNumberMatcher(matcher);
  return failed(`expected ${path} to change by ${want}${unit}, it changed by ${signed(delta)}${unit}${delta === 0 ? ' (unchanged)' : ''}`, { delta: want }, { delta });
}

/** A `STATE.PATH: value` item against the before/after diff. */
export function evaluateStateExpectation(path: string, check: StateCheck, observations: CaseObservations): ExpectationOutcome {
  const diff = observations.stateDiff;
  if (!diff) return failed(`cannot check ${path}: no state diff (${observations.stateProblem ?? 'no snapshots'})`, path, null);
  switch (check.section) {
    case 'meminfo': {
      const known = observations.after ? check.field in observations.after.meminfo : true;
      if (!known) return notAvailable(`/proc/meminfo has no ${check.field} on this kernel`);
      return deltaCheck(path, check.delta, diff.meminfo[check.field]?.delta ?? 0, check.field.startsWith('HugePages_') ? '' : ' kB');
    }
    case 'memoryFailure': {
      const nodes = check.node === 'all' ? Object.keys(diff.memoryFailure) : [check.node];
      const values = nodes.map((node) => diff.memoryFailure[node]);
      if (values.length === 0 || values.some((value) => !value || !value.available)) {
        const reason = values.find((value) => value && !value.available);
        return notAvailable(`${path}: ${reason && !reason.available ? reason.reason : `no ${check.node} memory_failure counters`}`);
      }
      const delta = values.reduce((sum, value) => sum + (value!.available ? (value!.value[check.counter]?.delta ?? 0) : 0), 0);
      return deltaCheck(path, check.delta, delta, '');
    }
    case 'hugepages': {
      const nodes = check.node === 'all' ? Object.keys(diff.hugepages) : [check.node];
      const delta = nodes.reduce((sum, node) => sum + (diff.hugepages[node]?.[check.size]?.[check.field]?.delta ?? 0), 0);
      return deltaCheck(path, check.delta, delta, '');
    }
    case 'memoryBlocks': {
      const block = check.block.kind === 'name' ? check.block.name : observations.blockOfTarget(check.block.target);
      if (!block) return failed(`${path}: cannot tell which memory block holds ${check.block.kind === 'target' ? check.block.target : '?'}`, path, null);
      const read = (snapshot: typeof observations.before): string | null => {
        const entry = snapshot?.memoryBlocks[block];
        if (!entry) return null;
        if (check.field === 'state') return entry.state;
        if (check.field === 'validZones') return entry.validZones;
        // sysfs prints removable as 1 or 0; a kernel without the file has null.
        if (check.field === 'removable') return entry.removable === null ? null : entry.removable ? '1' : '0';
        return 'present';
      };
      const actual = { before: read(observations.before), after: read(observations.after) };
      if (!observations.after?.memoryBlocks[block] && !observations.before?.memoryBlocks[block]) return notAvailable(`no memory block ${block} in this guest`);
      if (check.field === 'removable' && actual.before === null && actual.after === null) return notAvailable(`${block} has no removable file on this kernel`);
      const ok = (check.before === null || check.before === actual.before) && (check.after === null || check.after === actual.after);
      if (ok) return passed(actual);
      return failed(`expected ${block} ${check.field} ${check.before !== null ? `${check.before} → ` : ''}${check.after ?? '(any)'}, it was ${actual.before ?? 'absent'} → ${actual.after ?? 'absent'}`, { before: check.before, after: check.after }, actual);
    }
    case 'tainted': {
      if (!diff.tainted.available) return notAvailable(`taint: ${diff.tainted.reason}`);
      const letter = (bit: number) => TAINT_FLAGS[bit]?.letter ?? `bit${bit}`;
      const added = diff.tainted.value.addedBits.map(letter);
      const removed = diff.tainted.value.removedBits.map(letter);
      const missingAdded = check.added.filter((flag) => !diff.tainted.available || !diff.tainted.value.addedBits.includes(flag.bit));
      const missingRemoved = check.removed.filter((flag) => !diff.tainted.available || !diff.tainted.value.removedBits.includes(flag.bit));
      if (missingAdded.length === 0 && missingRemoved.length === 0) return passed({ added, removed });
      const want = [check.added.length ? `added [${check.added.map((f) => f.letter).join(', ')}]` : '', check.removed.length ? `removed [${check.removed.map((f) => f.letter).join(', ')}]` : ''].filter(Boolean).join(' and ');
      return failed(`expected taint ${want}; taint went ${diff.tainted.value.before} → ${diff.tainted.value.after} (added [${added.join(', ')}], removed [${removed.join(', ')}])`, { added: check.added.map((f) => f.letter), removed: check.removed.map((f) => f.letter) }, { added, removed });
    }
    case 'pages': {
      const pfn = check.page.kind === 'pfn' ? check.page.pfn : (() => {
        const target = observations.refs.target(check.page.target);
        return target ? `0x${target.pfn.toString(16)}` : undefined;
      })();
      if (!pfn) return failed(`${path}: target ${check.page.kind === 'target' ? check.page.target : ''} was never prepared`, path, null);
      const page = diff.pages[pfn];
      if (!page) return failed(`${path}: page ${pfn} was not in both snapshots (prepared after the before snapshot?)`, path, null);
      if (!page.available) return notAvailable(`page ${pfn}: ${page.reason}`);
      const change = page.value;
      const problems: string[] = [];
      const notSet = check.set.filter((flag) => !change.set.includes(flag));
      const notCleared = check.cleared.filter((flag) => !change.cleared.includes(flag));
      const lacking = check.has.filter((flag) => !change.after.includes(flag));
      const having = check.lacks.filter((flag) => change.after.includes(flag));
      if (notSet.length) problems.push(`[${notSet.join(', ')}] not newly set`);
      if (notCleared.length) problems.push(`[${notCleared.join(', ')}] not cleared`);
      if (lacking.length) problems.push(`lacks [${lacking.join(', ')}]`);
      if (having.length) problems.push(`still has [${having.join(', ')}]`);
      if (problems.length === 0) return passed(change);
      return failed(
        `page ${pfn}: ${problems.join('; ')}; its flags went [${change.before.join(' ')}] → [${change.after.join(' ')}]`,
        { set: check.set, cleared: check.cleared, has: check.has, lacks: check.lacks },
        change,
      );
    }
  }
}
