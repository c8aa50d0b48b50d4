import type { TaintFlag } from '../kernel-log/crash/taint.ts';
import { TAINT_FLAGS } from '../kernel-log/crash/taint.ts';
import { normaliseHex, type Hex } from '../kernel-log/events/pfn.ts';
import { CGROUP_NAME, CGROUP_ROOT, resolveCgroupPath, type CgroupController } from '../state/cgroup-files.ts';
import { KPAGEFLAG_BITS } from '../state/kpageflags.ts';
import { MEMORY_FAILURE_COUNTERS, type MemoryFailureCounter } from '../state/state-snapshot.ts';
import { didYouMean } from './did-you-mean.ts';
import { parseNumberMatcher, type NumberMatcher } from './number-matcher.ts';
import { isPlainObject } from './unknown-keys.ts';
import type { PathIssue } from './validate.ts';
import { parseValueRef } from './value-ref.ts';

/** `node0`, `node1`... or `all` (summed over nodes: the page's node is rarely known in advance). */
export type NodeSelector = `node${number}` | 'all';
/** A memory block by name, or the block holding a target's page. */
export type BlockRef = { kind: 'name'; name: string } | { kind: 'target'; target: string };
/** A page by target (its PFN when prepared) or by literal PFN. */
export type PageRef = { kind: 'target'; target: string } | { kind: 'pfn'; pfn: Hex };

/** A value read as text, compared as a number (`4096`, `at least 4096`) or as the exact text (`max`). */
export type ReadingMatcher = { kind: 'number'; matcher: NumberMatcher } | { kind: 'text'; text: string };

/**
 * One check on the state diff (harness/state/state-diff.ts), keyed by a path into it.
 * Numbers are deltas (after - before); the diff omits unchanged values, so absent is 0.
 */
export type StateCheck =
  | { section: 'meminfo'; field: string; delta: NumberMatcher }
  | { section: 'memoryFailure'; node: NodeSelector; counter: MemoryFailureCounter; delta: NumberMatcher }
  | { section: 'hugepages'; node: NodeSelector; size: string; field: 'nr' | 'free' | 'surplus'; delta: NumberMatcher }
  | { section: 'memoryBlocks'; block: BlockRef; field: MemoryBlockField; before: string | null; after: string | null }
  | { section: 'tainted'; added: TaintFlag[]; removed: TaintFlag[] }
  | { section: 'pages'; page: PageRef; set: string[]; cleared: string[]; has: string[]; lacks: string[] }
  /**
   * A cgroup file's value (harness/state/cgroup-files.ts): `key` '' for a single-value file,
   * else its key (`anon`, `total.N0`). Any of delta (after - before), the value before and the
   * value after; the scalar form is a delta.
   */
  | { section: 'cgroup'; group: string; file: string; key: string; controller: CgroupController | null; delta: NumberMatcher | null; before: ReadingMatcher | null; after: ReadingMatcher | null }
  /** `file: PATH` (under /proc or /sys): its text after (`equals`, `matches`), before (`before`), the delta of its number. */
  | { section: 'file'; file: string; equals: string | null; matches: string | null; delta: NumberMatcher | null; before: string | null };

/** What a memoryBlocks path reads of a block: sysfs `state`, `valid_zones`, `removable` ('1' or '0'), or whether it exists. */
export const MEMORY_BLOCK_FIELDS = ['state', 'validZones', 'removable', 'present'] as const;
export type MemoryBlockField = (typeof MEMORY_BLOCK_FIELDS)[number];

export const STATE_ROOTS = ['meminfo', 'memoryFailure', 'hugepages', 'memoryBlocks', 'tainted', 'pages', 'cgroup'] as const;
export type StateRoot = (typeof STATE_ROOTS)[number];

/** What a hugepages path reads of a pool: sysfs `nr_hugepages`, `free_hugepages`, `surplus_hugepages`. */
export const HUGEPAGE_FIELDS = ['nr', 'free', 'surplus'] as const;

/** How each state path is written, what it compares and where the snapshot reads it (harness/state), for the suite docs. */
export const STATE_PATH_DOCS = {
  meminfo: { path: 'meminfo.FIELD', value: 'delta in kB (`+4`, `-4`, `0`, `+4 kB`, `at least 4`); `HugePages_*` fields in pages', source: '`/proc/meminfo`' },
  memoryFailure: {
    path: 'memoryFailure.NODE.COUNTER',
    value: `delta; \`COUNTER\` is ${MEMORY_FAILURE_COUNTERS.map((c) => `\`${c}\``).join(', ')}; \`NODE\` is \`node0\`… or \`all\` (summed over nodes)`,
    source: '`/sys/devices/system/node/NODE/memory_failure/COUNTER` (6.3 and later: feature `per-node-memory-failure-stats`)',
  },
  hugepages: {
    path: 'hugepages.NODE.SIZE.FIELD',
    value: `delta; \`SIZE\` as sysfs names it (\`2048kB\`), \`FIELD\` ${HUGEPAGE_FIELDS.map((f) => `\`${f}\``).join(', ')}, \`NODE\` \`node0\`… or \`all\`: \`hugepages.all.2048kB.free: -1\``,
    source: '`/sys/devices/system/node/NODE/hugepages/hugepages-SIZE/FIELD_hugepages`',
  },
  memoryBlocks: {
    path: 'memoryBlocks.BLOCK.FIELD',
    value: `the value after, or \`{ before, after }\`; \`FIELD\` ${MEMORY_BLOCK_FIELDS.map((f) => `\`${f}\``).join(', ')} (\`removable\` as sysfs prints it, \`1\` or \`0\`; \`present\` whether the block exists); \`BLOCK\` is \`memory12\` or \`$t0\` (the block holding t0's page)`,
    source: '`/sys/devices/system/memory/memoryN/{state,valid_zones,removable}`',
  },
  tainted: { path: 'tainted', value: '`{ added: [M], removed: [] }`: taint letters or names', source: '`/proc/sys/kernel/tainted`' },
  pages: {
    path: 'pages.$t0 / pages.0x1234',
    value: '`{ set: [hwpoison], cleared: [buddy], has: [...], lacks: [...] }`: [kpageflags names](#kpageflags-names) newly set, newly cleared, present after, absent after',
    source: "`/proc/kpageflags` at the page's PFN (`$t0`: the target's, as prepared or as a `migrate` moved it)",
  },
  cgroup: {
    path: 'cgroup.GROUP.FILE / cgroup.GROUP.FILE.KEY',
    value:
      'delta (`+2097152`, `at least 4096`), or `{ before, after, delta }` (each optional; `before`/`after` a number, `at least N`, or the exact text such as `max`); `GROUP` a group a [`cgroup` step](#cgroups) makes, `FILE` one of the [cgroup files](#cgroups) (`memory.current`, `hugetlb.2MB.current`), `KEY` a key of a keyed file (`memory.stat.anon`, `memory.events.oom`, `hugetlb.2MB.numa_stat.total`, `.total.N0`)',
    source: `\`${CGROUP_ROOT}/GROUP/FILE\` (a file or key the kernel lacks, or a controller not enabled: not available)`,
  },
  file: {
    path: 'file: /proc/… / file: /sys/…',
    value: "`equals: '4'` (the text after, trimmed), `matches: REGEX` (after), `before: '0'` (the text before), `delta: +1` (its number after - before): [any file](#any-file)",
    source: 'the file, read whole (up to 4 KiB) in both snapshots',
  },
} as const satisfies Record<StateRoot | 'file', { path: string; value: string; source: string }>;

/** Whether an expectation key is meant as a state path (then its problems are about the path). */
export function looksLikeStatePath(key: string): boolean {
  const root = key.split('.')[0] ?? '';
  return (STATE_ROOTS as readonly string[]).includes(root);
}

const PAGE_FLAG_NAMES = Object.values(KPAGEFLAG_BITS);
const NODE = /^(node\d+|all)$/;

type Parsed = { check?: StateCheck; issues: PathIssue[] };
const fail = (message: string, path: PropertyKey[] = []): Parsed => ({ issues: [{ path, message }] });

/** Parses `meminfo.HardwareCorrupted: +4`, `pages.$t0: { set: [hwpoison] }`, ... (the key and its value). */
export function parseStateCheck(key: string, value: unknown): Parsed {
  const parts = key.split('.');
  const root = parts[0];
  const keyProblem = (message: string): Parsed => ({ issues: [{ path: [], part: 'key', message }] });
  switch (root) {
    case 'meminfo': {
      if (parts.length !== 2 || !/^[A-Za-z0-9_()]+$/.test(parts[1]!)) return keyProblem(`expected meminfo.<Field> as in /proc/meminfo, e.g. meminfo.HardwareCorrupted`);
      const field = parts[1]!;
      const delta = parseNumberMatcher(value, { none: false, ...(field.startsWith('HugePages_') ? {} : { unit: 'kB' as const }) });
      return typeof delta === 'string' ? fail(delta) : { check: { section: 'meminfo', field, delta }, issues: [] };
    }
    case 'memoryFailure': {
      if (parts.length !== 3 || !NODE.test(parts[1]!)) return keyProblem(`expected memoryFailure.<node0|all>.<${MEMORY_FAILURE_COUNTERS.join('|')}>`);
      const counter = parts[2]!;
      if (!(MEMORY_FAILURE_COUNTERS as readonly string[]).includes(counter)) return keyProblem(`no memory_failure counter '${counter}' (counters: ${MEMORY_FAILURE_COUNTERS.join(', ')})${didYouMean(counter, MEMORY_FAILURE_COUNTERS)}`);
      const delta = parseNumberMatcher(value, { none: false });
      return typeof delta === 'string' ? fail(delta) : { check: { section: 'memoryFailure', node: parts[1] as NodeSelector, counter: counter as MemoryFailureCounter, delta }, issues: [] };
    }
    case 'hugepages': {
      const fields: readonly string[] = HUGEPAGE_FIELDS;
      if (parts.length !== 4 || !NODE.test(parts[1]!) || !/^\d+kB$/.test(parts[2]!) || !fields.includes(parts[3]!)) {
        return keyProblem(`expected hugepages.<node0|all>.<size, e.g. 2048kB>.<nr|free|surplus>${parts[3] ? didYouMean(parts[3], fields) : ''}`);
      }
      const delta = parseNumberMatcher(value, { none: false });
      return typeof delta === 'string' ? fail(delta) : { check: { section: 'hugepages', node: parts[1] as NodeSelector, size: parts[2]!, field: parts[3] as 'nr' | 'free' | 'surplus', delta }, issues: [] };
    }
    case 'memoryBlocks':
      return parseBlockCheck(parts, value, keyProblem);
    case 'tainted':
      return parts.length === 1 ? parseTaintCheck(value) : keyProblem("'tainted' has no sub-paths; write tainted: { added: [M] }");
    case 'pages':
      return parsePageCheck(parts, value, keyProblem);
    case 'cgroup':
      return parseCgroupCheck(parts, value, keyProblem);
    default:
      return keyProblem(`unknown state path '${key}' (roots: ${STATE_ROOTS.join(', ')})`);
  }
}

function parseBlockCheck(parts: string[], value: unknown, keyProblem: (m: string) => Parsed): Parsed {
  const fields = MEMORY_BLOCK_FIELDS;
  const blockText = parts[1] ?? '';
  const field = parts[2] as MemoryBlockField | undefined;
  if (parts.length !== 3 || !field || !fields.includes(field)) return keyProblem(`expected memoryBlocks.<memoryN|$t0>.<${fields.join('|')}>${parts[2] ? didYouMean(parts[2], fields) : ''}`);
  let block: BlockRef;
  if (/^memory\d+$/.test(blockText)) block = { kind: 'name', name: blockText };
  else {
    const ref = parseValueRef(blockText);
    if (!ref || typeof ref === 'string' || ref.kind !== 'target' || ref.property !== 'pfn') return keyProblem(`'${blockText}' is not a memory block: write memory12, or $t0 for the block holding target t0`);
    block = { kind: 'target', target: ref.target };
  }
  // A number is taken as sysfs prints it, so `removable: 1` means the file reads 1.
  if (typeof value === 'string' || typeof value === 'number') return { check: { section: 'memoryBlocks', block, field, before: null, after: String(value) }, issues: [] };
  if (isPlainObject(value)) {
    const issues: PathIssue[] = [];
    for (const key of Object.keys(value)) if (key !== 'before' && key !== 'after') issues.push({ path: [key], part: 'key', message: `unknown key '${key}' (expected before, after)${didYouMean(key, ['before', 'after'])}` });
    const before = value['before'];
    const after = value['after'];
    if (before !== undefined && typeof before !== 'string') issues.push({ path: ['before'], message: 'expected a string' });
    if (after !== undefined && typeof after !== 'string') issues.push({ path: ['after'], message: 'expected a string' });
    if (before === undefined && after === undefined) issues.push({ path: [], message: 'give before:, after: or both' });
    if (issues.length > 0) return { issues };
    return { check: { section: 'memoryBlocks', block, field, before: (before as string | undefined) ?? null, after: (after as string | undefined) ?? null }, issues: [] };
  }
  return fail(`expected the value after the case (e.g. offline) or { before: ..., after: ... }`);
}

function parseTaintCheck(value: unknown): Parsed {
  if (!isPlainObject(value)) return fail('expected { added: [M] } and/or { removed: [...] } (taint letters or names)');
  const issues: PathIssue[] = [];
  const lists: Record<'added' | 'removed', TaintFlag[]> = { added: [], removed: [] };
  for (const [key, list] of Object.entries(value)) {
    if (key !== 'added' && key !== 'removed') {
      issues.push({ path: [key], part: 'key', message: `unknown key '${key}' (expected added, removed)${didYouMean(key, ['added', 'removed'])}` });
      continue;
    }
    const parsed = parseTaintFlags(list);
    if (typeof parsed === 'string') issues.push({ path: [key], message: parsed });
    else lists[key] = parsed;
  }
  return issues.length > 0 ? { issues } : { check: { section: 'tainted', added: lists.added, removed: lists.removed }, issues: [] };
}

/** Taint flags by letter (M, W) or name (MACHINE_CHECK), as the kernel shows them. */
export function parseTaintFlags(value: unknown): TaintFlag[] | string {
  if (!Array.isArray(value)) return 'expected a list of taint flags, e.g. [M] or [MACHINE_CHECK]';
  const flags: TaintFlag[] = [];
  for (const item of value) {
    const flag = TAINT_FLAGS.find((candidate) => candidate.letter === item || candidate.name === item);
    if (!flag) {
      const all = TAINT_FLAGS.flatMap((candidate) => [candidate.letter, candidate.name]);
      return `unknown taint flag ${JSON.stringify(item)} (letters: ${TAINT_FLAGS.map((f) => f.letter).join('')})${typeof item === 'string' ? didYouMean(item, all) : ''}`;
    }
    flags.push(flag);
  }
  return flags;
}

function parsePageCheck(parts: string[], value: unknown, keyProblem: (m: string) => Parsed): Parsed {
  const pageText = parts.slice(1).join('.');
  let page: PageRef;
  if (/^0x[0-9a-fA-F]+$/.test(pageText)) page = { kind: 'pfn', pfn: normaliseHex(pageText) };
  else {
    const ref = parseValueRef(pageText);
    if (!ref || typeof ref === 'string' || ref.kind !== 'target' || ref.property !== 'pfn') return keyProblem(`expected pages.$t0 (a target's page) or pages.0x1234 (a PFN), got '${parts.join('.')}'`);
    page = { kind: 'target', target: ref.target };
  }
  if (!isPlainObject(value)) return fail('expected { set: [hwpoison] }, with set, cleared, has or lacks lists of kpageflags names');
  const keys = ['set', 'cleared', 'has', 'lacks'] as const;
  const lists: Record<(typeof keys)[number], string[]> = { set: [], cleared: [], has: [], lacks: [] };
  const issues: PathIssue[] = [];
  for (const [key, list] of Object.entries(value)) {
    if (!(keys as readonly string[]).includes(key)) {
      issues.push({ path: [key], part: 'key', message: `unknown key '${key}' (expected ${keys.join(', ')})${didYouMean(key, keys)}` });
      continue;
    }
    if (!Array.isArray(list)) {
      issues.push({ path: [key], message: 'expected a list of kpageflags names, e.g. [hwpoison]' });
      continue;
    }
    list.forEach((name, index) => {
      if (typeof name === 'string' && PAGE_FLAG_NAMES.includes(name)) lists[key as (typeof keys)[number]].push(name);
      else issues.push({ path: [key, index], message: `unknown kpageflags name ${JSON.stringify(name)}${typeof name === 'string' ? didYouMean(name, PAGE_FLAG_NAMES) : ''}` });
    });
  }
  if (issues.length === 0 && keys.every((key) => lists[key].length === 0)) issues.push({ path: [], message: 'name at least one flag under set, cleared, has or lacks' });
  return issues.length > 0 ? { issues } : { check: { section: 'pages', page, ...lists }, issues: [] };
}

function parseCgroupCheck(parts: string[], value: unknown, keyProblem: (m: string) => Parsed): Parsed {
  const group = parts[1] ?? '';
  if (!CGROUP_NAME.test(group)) return keyProblem(`expected cgroup.GROUP.FILE[.KEY] with GROUP a cgroup step's name (cg0, outer/inner), got '${parts.join('.')}'`);
  if (parts.length < 3) return keyProblem(`name a file of ${group}: cgroup.${group}.memory.current, cgroup.${group}.memory.stat.anon, cgroup.${group}.hugetlb.2MB.current`);
  const resolved = resolveCgroupPath(parts.slice(2));
  if (typeof resolved === 'string') return keyProblem(resolved);
  const base = { section: 'cgroup' as const, group, file: resolved.file, key: resolved.key, controller: resolved.spec.controller };
  if (typeof value === 'number' || typeof value === 'string') {
    const delta = parseNumberMatcher(value, { none: false });
    if (typeof delta === 'string') return fail(`${delta}; or { before: ..., after: ... } for the values themselves`);
    return { check: { ...base, delta, before: null, after: null }, issues: [] };
  }
  if (!isPlainObject(value)) return fail('expected a delta (+4096, at least 4096) or { before: ..., after: ..., delta: ... }');
  const keys = ['before', 'after', 'delta'];
  const issues: PathIssue[] = [];
  for (const key of Object.keys(value)) if (!keys.includes(key)) issues.push({ path: [key], part: 'key', message: `unknown key '${key}' (expected ${keys.join(', ')})${didYouMean(key, keys)}` });
  const reading = (key: 'before' | 'after'): ReadingMatcher | null => {
    const raw = value[key];
    if (raw === undefined) return null;
    const parsed = parseReadingMatcher(raw);
    if (typeof parsed === 'string') issues.push({ path: [key], message: parsed });
    return typeof parsed === 'string' ? null : parsed;
  };
  const before = reading('before');
  const after = reading('after');
  let delta: NumberMatcher | null = null;
  if (value['delta'] !== undefined) {
    const parsed = parseNumberMatcher(value['delta'], { none: false });
    if (typeof parsed === 'string') issues.push({ path: ['delta'], message: parsed });
    else delta = parsed;
  }
  if (issues.length === 0 && keys.every((key) => value[key] === undefined)) issues.push({ path: [], message: 'give before:, after:, delta: or a combination' });
  return issues.length > 0 ? { issues } : { check: { ...base, delta, before, after }, issues: [] };
}

/** `4096`, `'at least 4096'` (a number matcher), else the exact text (`max`). */
export function parseReadingMatcher(value: unknown): ReadingMatcher | string {
  if (typeof value === 'number') {
    const matcher = parseNumberMatcher(value, { none: false });
    return typeof matcher === 'string' ? matcher : { kind: 'number', matcher };
  }
  if (typeof value !== 'string' || value.trim() === '') return 'expected a number (4096), a bound (at least 4096) or the exact text (max)';
  const matcher = parseNumberMatcher(value, { none: false });
  return typeof matcher === 'string' ? { kind: 'text', text: value.trim() } : { kind: 'number', matcher };
}

/** Files a read could block on or that are not text: a snapshot must never wait on one, nor steal the kernel log. */
const UNREADABLE_FILES = [/^\/proc\/kmsg$/, /^\/proc\/kcore$/, /^\/proc\/sysrq-trigger$/, /\/trace_pipe(_raw)?$/, /^\/sys\/kernel\/(debug\/)?tracing\/per_cpu\//];

/** Why a `file:` path is not one the snapshot reads, or null: absolute, under /proc or /sys, no `..`, no glob. */
export function fileStateProblem(file: string): string | null {
  if (!file.startsWith('/')) return `expected an absolute path under /proc or /sys, got '${file}'`;
  if (!/^\/(proc|sys)\//.test(file)) return `only files under /proc and /sys are read as state, got '${file}' (check other files with a shell step)`;
  const segments = file.split('/').slice(1);
  if (segments.some((segment) => segment === '..' || segment === '.' || segment === '')) return `'${file}': write the path without '.', '..' or '//' segments or a trailing '/'`;
  if (!/^[A-Za-z0-9_./:+@,=-]+$/.test(file)) return `'${file}': a path of letters, digits and _ . / : + @ , = - only (no spaces, quotes or globs)`;
  if (file.length > 255) return `'${file}' is longer than 255 characters`;
  if (UNREADABLE_FILES.some((pattern) => pattern.test(file))) return `${file} is not read as state: reading it blocks or consumes what it reads`;
  return null;
}

/**
 * A `file:` item's own keys (its modifiers aside): `file`, and at least one of `equals`,
 * `matches`, `before` (texts, trimmed: the file as read, without its trailing newline) and
 * `delta` (after - before of the number the file holds).
 */
export function parseFileCheck(value: Record<string, unknown>): Parsed {
  const issues: PathIssue[] = [];
  const file = value['file'];
  if (typeof file !== 'string') return fail('expected a path under /proc or /sys, e.g. file: /proc/sys/vm/nr_hugepages', ['file']);
  const problem = fileStateProblem(file);
  if (problem) issues.push({ path: ['file'], message: problem });
  const text = (key: 'equals' | 'before'): string | null => {
    const raw = value[key];
    if (raw === undefined) return null;
    if (typeof raw === 'number' || typeof raw === 'boolean') return String(raw);
    if (typeof raw === 'string') return raw.trim();
    issues.push({ path: [key], message: `expected the file's text, e.g. ${key}: '4'` });
    return null;
  };
  const equals = text('equals');
  const before = text('before');
  let matches: string | null = null;
  if (value['matches'] !== undefined) {
    const raw = value['matches'];
    if (typeof raw !== 'string') issues.push({ path: ['matches'], message: 'expected a regex' });
    else {
      try {
        new RegExp(raw, 'm');
        matches = raw;
      } catch (error) {
        issues.push({ path: ['matches'], message: `bad regex: ${error instanceof Error ? error.message : String(error)}` });
      }
    }
  }
  let delta: NumberMatcher | null = null;
  if (value['delta'] !== undefined) {
    const parsed = parseNumberMatcher(value['delta'], { none: false });
    if (typeof parsed === 'string') issues.push({ path: ['delta'], message: parsed });
    else delta = parsed;
  }
  if (issues.length === 0 && equals === null && matches === null && before === null && delta === null) {
    issues.push({ path: ['file'], message: "say what to check: equals: '4', matches: REGEX, before: '0' and/or delta: +1" });
  }
  return issues.length > 0 ? { issues } : { check: { section: 'file', file, equals, matches, delta, before }, issues: [] };
}

/** The keys a `file:` item takes besides its modifiers. */
export const FILE_CHECK_KEYS = ['file', 'equals', 'matches', 'before', 'delta'] as const;
