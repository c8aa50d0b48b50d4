import { KERNEL_FEATURES } from '../suite/features.ts';
import type { SuiteCase } from '../suite/index.ts';

/** A suite reference that names an upstream commit, as backport-check looks it up. */
export interface CommitReference {
  /** As written in the suite. */
  reference: string;
  kind: 'title' | 'id';
  /** The commit title (or id) to look for. */
  title: string;
  /** The mainline release that has it, when the suite says so ("(upstream 6.2)") or a feature's range does. */
  upstream: string | null;
}

const UPSTREAM_NOTE_RE = /\s*\((?:upstream|mainline|in)\s+v?(\d+\.\d+(?:\.\d+)?)\)\s*$/i;
const DEBIAN_NOTE_RE = /\s*\(Debian [^)]+\)\s*$/;
const COMMIT_ID_RE = /^(?:commit\s+)?([0-9a-f]{12,40})\b/i;
// "mm: memory-failure: ...", "fs/proc: ...", "hwpoison, memory_hotplug: ...": a subsystem
// prefix without spaces (comma lists aside) and not a source file ("mm/memory-failure.c foo()").
const TITLE_PREFIX_RE = /^[A-Za-z0-9_.\/-]+(?:,\s?[A-Za-z0-9_.\/-]+)*$/;

/** The commit a reference names, or null for a pointer into the code ("mm/memory-failure.c memory_failure()"). */
export function parseCommitReference(reference: string, upstreamHint: string | null = null): CommitReference | null {
  let text = reference.trim().replace(/^(['"])(.*)\1$/, '$2');
  let upstream = upstreamHint;
  // "(Debian 6.1.187-1)" says where the suite author saw it; the title is what is looked up.
  text = text.replace(DEBIAN_NOTE_RE, '');
  const note = UPSTREAM_NOTE_RE.exec(text);
  if (note) {
    upstream = note[1]!;
    text = text.slice(0, note.index).trim();
  }
  const id = COMMIT_ID_RE.exec(text);
  if (id) return { reference, kind: 'id', title: id[1]!.toLowerCase(), upstream };
  const colon = text.indexOf(': ');
  if (colon <= 0) return null;
  const prefix = text.slice(0, colon);
  if (!TITLE_PREFIX_RE.test(prefix) || /\.[ch]$/.test(prefix)) return null;
  if (text.slice(colon + 2).trim().length < 4) return null;
  return { reference, kind: 'title', title: text, upstream };
}

function minimumVersion(range: string): string | null {
  return /^>=\s*(\d+\.\d+(?:\.\d+)?)$/.exec(range.trim())?.[1] ?? null;
}

/**
 * Every commit a case cites: its (or its suite's) reference, its xfail's, its expectations'
 * and step items' xfail references, and the commits behind the features it requires or
 * whose presence decides which of its items apply.
 */
export function caseCommitReferences(testCase: SuiteCase): CommitReference[] {
  const found: CommitReference[] = [];
  const add = (reference: string, upstream: string | null = null) => {
    const parsed = parseCommitReference(reference, upstream);
    if (!parsed) return;
    // Cited twice (the case's reference, its xfail's "(upstream 6.2)"): one commit, knowing all that either said.
    const known = found.find((entry) => entry.title === parsed.title);
    if (!known) found.push(parsed);
    else known.upstream ??= parsed.upstream;
  };
  for (const reference of testCase.reference) add(reference);
  if (testCase.xfail) add(testCase.xfail.reference);
  for (const expectation of testCase.expectations) if (expectation.xfail) add(expectation.xfail.reference);
  for (const step of testCase.steps) for (const outcome of step.expect) if (outcome.xfail) add(outcome.xfail.reference);
  // Features the case requires, or that decide which of its items apply (`when: { features }`).
  const conditions = [
    testCase.requirements,
    ...testCase.expectations.map((expectation) => expectation.when ?? []),
    ...testCase.steps.flatMap((step) => [step.when ?? [], ...step.expect.map((outcome) => outcome.when ?? [])]),
  ];
  for (const requirement of conditions.flat()) {
    if (requirement.kind !== 'feature') continue;
    const feature = KERNEL_FEATURES[requirement.name];
    add(feature.reference, minimumVersion(feature.kernel));
  }
  return found;
}

/** Case, quotes, runs of spaces and a trailing full stop do not matter when titles are compared. */
export function foldTitle(title: string): string {
  return title.toLowerCase().replace(/["'`]/g, '').replace(/\s+/g, ' ').replace(/\.$/, '').trim();
}
