import { TAINT_FLAGS } from '../../kernel-log/crash/taint.ts';
import { CGROUP_ROOT } from '../../state/cgroup-files.ts';
import type { StateSnapshot } from '../../state/state-snapshot.ts';
import { describeNumberMatcher, numberMatches, type NumberMatcher, type StateCheck } from '../../suite/index.ts';
import type { ReadingMatcher } from '../../suite/state-expectation.ts';
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
      // has:/lacks: read the after snapshot alone; set:/cleared: compare it with a before the page was not in.
      if (change.afterOnly && (check.set.length > 0 || check.cleared.length > 0)) {
        return notAvailable(`page ${pfn} was not in the before snapshot (its target was prepared or faulted in after it): set: and cleared: need both snapshots; has: and lacks: read the after one only`);
      }
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
    case 'cgroup':
      return evaluateCgroupCheck(path, check, observations);
    case 'file':
      return evaluateFileCheck(check, observations);
  }
}

type Read = { value: string } | { missing: string };

function readCgroup(snapshot: StateSnapshot | null, check: Extract<StateCheck, { section: 'cgroup' }>, when: 'before' | 'after'): Read {
  const group = snapshot?.cgroups?.[check.group];
  if (!group) {
    return { missing: when === 'before' ? `cgroup ${check.group} did not exist at the before snapshot (take it after the cgroup step: snapshot: before)` : `cgroup ${check.group} did not exist at the end of the case` };
  }
  const file = group.files[check.file];
  if (!file) return { missing: `${CGROUP_ROOT}/${check.group}/${check.file} ${when === 'before' ? 'was not there at the before snapshot' : 'does not exist on this kernel'}${check.controller ? ` (or the ${check.controller} controller is not enabled for ${check.group})` : ''}` };
  const value = file[check.key];
  return value === undefined ? { missing: `${check.file} has no key '${check.key}' on this kernel` } : { value };
}

function asNumber(text: string): number | null {
  return /^-?\d+(\.\d+)?$/.test(text.trim()) ? Number(text.trim()) : null;
}

function readingMatches(matcher: ReadingMatcher, text: string): boolean {
  if (matcher.kind === 'text') return text.trim() === matcher.text;
  const value = asNumber(text);
  return value !== null && numberMatches(matcher.matcher, value);
}

function describeReading(matcher: ReadingMatcher): string {
  return matcher.kind === 'text' ? `'${matcher.text}'` : describeNumberMatcher(matcher.matcher);
}

/** `cgroup.GROUP.FILE[.KEY]`: read from both snapshots (not the diff, which lists changes only). */
function evaluateCgroupCheck(path: string, check: Extract<StateCheck, { section: 'cgroup' }>, observations: CaseObservations): ExpectationOutcome {
  const needBefore = check.delta !== null || check.before !== null;
  const needAfter = check.delta !== null || check.after !== null;
  const before = readCgroup(observations.before, check, 'before');
  const after = readCgroup(observations.after, check, 'after');
  if (needAfter && 'missing' in after) return notAvailable(`${path}: ${after.missing}`);
  if (needBefore && 'missing' in before) return notAvailable(`${path}: ${before.missing}`);
  const b = 'value' in before ? before.value : null;
  const a = 'value' in after ? after.value : null;
  const actual: { before: string | null; after: string | null; delta?: number } = { before: b, after: a };
  const problems: string[] = [];
  if (check.delta !== null) {
    const nb = asNumber(b!);
    const na = asNumber(a!);
    if (nb === null || na === null) problems.push(`a delta needs numbers, it read '${b}' → '${a}'`);
    else {
      actual.delta = na - nb;
      if (!numberMatches(check.delta, actual.delta)) problems.push(`expected a change by ${check.delta.op === 'eq' ? signed(check.delta.value) : describeNumberMatcher(check.delta)}, it changed by ${signed(actual.delta)}${actual.delta === 0 ? ' (unchanged)' : ''}`);
    }
  }
  if (check.before !== null && !readingMatches(check.before, b!)) problems.push(`expected ${describeReading(check.before)} before, it read ${b}`);
  if (check.after !== null && !readingMatches(check.after, a!)) problems.push(`expected ${describeReading(check.after)} after, it read ${a}`);
  if (problems.length === 0) return passed(actual);
  const expected = { ...(check.before ? { before: describeReading(check.before) } : {}), ...(check.after ? { after: describeReading(check.after) } : {}), ...(check.delta ? { delta: check.delta.op === 'eq' ? signed(check.delta.value) : describeNumberMatcher(check.delta) } : {}) };
  return failed(`${path}: ${problems.join('; ')} (${b ?? 'absent'} → ${a ?? 'absent'})`, expected, actual);
}

/** `file: PATH`: its text in both snapshots. */
function evaluateFileCheck(check: Extract<StateCheck, { section: 'file' }>, observations: CaseObservations): ExpectationOutcome {
  const read = (snapshot: StateSnapshot | null, when: 'before' | 'after'): { text: string; truncated: boolean } | string => {
    const entry = snapshot?.files?.[check.file];
    if (!entry) return `${check.file} was not read ${when === 'before' ? 'at the before snapshot' : 'after the case'}`;
    return entry.available ? entry.value : `${entry.reason}${when === 'before' ? ' at the before snapshot' : ' after the case'}`;
  };
  const needBefore = check.before !== null || check.delta !== null;
  const needAfter = check.equals !== null || check.matches !== null || check.delta !== null;
  const before = read(observations.before, 'before');
  const after = read(observations.after, 'after');
  if (needAfter && typeof after === 'string') return notAvailable(after);
  if (needBefore && typeof before === 'string') return notAvailable(before);
  const b = typeof before === 'string' ? null : before;
  const a = typeof after === 'string' ? null : after;
  const cut = (value: { truncated: boolean } | null) => (value?.truncated ? ' (cut at 4096 bytes)' : '');
  const actual: { before: string | null; after: string | null; delta?: number } = { before: b?.text ?? null, after: a?.text ?? null };
  const problems: string[] = [];
  const quote = (text: string) => JSON.stringify(text.length > 200 ? `${text.slice(0, 200)}…` : text);
  if (check.equals !== null && a!.text.trim() !== check.equals) problems.push(`expected ${quote(check.equals)} after, it read ${quote(a!.text.trim())}${cut(a)}`);
  if (check.matches !== null && !new RegExp(check.matches, 'm').test(a!.text)) problems.push(`expected the text after to match /${check.matches}/, it read ${quote(a!.text)}${cut(a)}`);
  if (check.before !== null && b!.text.trim() !== check.before) problems.push(`expected ${quote(check.before)} before, it read ${quote(b!.text.trim())}${cut(b)}`);
  if (check.delta !== null) {
    const nb = /^-?\d+$/.test(b!.text.trim()) ? Number(b!.text.trim()) : null;
    const na = /^-?\d+$/.test(a!.text.trim()) ? Number(a!.text.trim()) : null;
    if (nb === null || na === null) problems.push(`a delta needs a whole number in the file, it read ${quote(b!.text.trim())} → ${quote(a!.text.trim())}`);
    else {
      actual.delta = na - nb;
      if (!numberMatches(check.delta, actual.delta)) problems.push(`expected a change by ${check.delta.op === 'eq' ? signed(check.delta.value) : describeNumberMatcher(check.delta)}, it changed by ${signed(actual.delta)}${actual.delta === 0 ? ' (unchanged)' : ''}`);
    }
  }
  if (problems.length === 0) return passed(actual);
  const expected = { ...(check.equals !== null ? { equals: check.equals } : {}), ...(check.matches !== null ? { matches: check.matches } : {}), ...(check.before !== null ? { before: check.before } : {}), ...(check.delta ? { delta: check.delta.op === 'eq' ? signed(check.delta.value) : describeNumberMatcher(check.delta) } : {}) };
  return failed(`${check.file}: ${problems.join('; ')}`, expected, actual);
}
