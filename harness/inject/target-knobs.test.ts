import { describe, expect, it } from 'vitest';
import { formatProblem, parseSuite } from '../suite/index.ts';
import { STEP_DOCS } from '../suite/step-docs.ts';
import { TARGET_KIND_NAMES, TARGET_KIND_TRAITS } from './target-kind-traits.ts';
import { describeKnobs, kindsWithKnob, knobProblems, resolveKnobs, TARGET_KNOB_NAMES } from './target-knobs.ts';

// The target step's knobs: which kinds take which (lint, at the key), what they parse to, and
// what `fault: false` means for the steps and expectations after it.

/** line:col of the nth occurrence of `needle`, 1-based like the problems. */
function at(text: string, needle: string, nth = 1): string {
  let index = -1;
  for (let i = 0; i < nth; i++) {
    index = text.indexOf(needle, index + 1);
    if (index < 0) throw new Error(`test bug: '${needle}' not in the YAML`);
  }
  const before = text.slice(0, index);
  return `${before.split('\n').length}:${index - before.lastIndexOf('\n')}`;
}

function suiteText(steps: string, expect = ''): string {
  return `suite: s\ntitle: t\ncases:\n  - id: c\n    title: t\n    steps:\n${steps}${expect ? `    expect:\n${expect}` : ''}`;
}

function lint(text: string): string[] {
  const result = parseSuite(text, 's.yaml');
  return result.ok ? [] : result.problems.map(formatProblem);
}

function parsedTarget(step: string) {
  const result = parseSuite(suiteText(`      - ${step}\n`), 's.yaml');
  if (!result.ok) throw new Error(result.problems.map(formatProblem).join('\n'));
  return result.suite.cases[0]!.steps[0]!.action;
}

describe('which kinds take which knobs', () => {
  it('hugetlb takes them all, hugetlb-free its pool, mapped kinds pages and index, the others none', () => {
    expect(TARGET_KIND_TRAITS.hugetlb.knobs).toEqual([...TARGET_KNOB_NAMES]);
    expect(TARGET_KIND_TRAITS['hugetlb-free'].knobs).toEqual(['pool', 'size']);
    for (const kind of TARGET_KIND_NAMES) {
      const { owned, knobs, hugetlbPool } = TARGET_KIND_TRAITS[kind];
      expect(knobs.includes('pages'), kind).toBe(owned);
      expect(knobs.includes('pool'), kind).toBe(hugetlbPool);
    }
    expect(kindsWithKnob('shared')).toEqual(['hugetlb']);
    expect(kindsWithKnob('fault')).toEqual(['hugetlb']);
  });

  it('a knob a kind does not take is a problem at its key, naming the kinds that do', () => {
    const text = suiteText('      - target: { name: t0, kind: anon, pool: 2, shared: true }\n      - target: { name: t1, kind: free, pages: 2 }\n');
    expect(lint(text)).toEqual([
      `s.yaml:${at(text, '2, shared')}: cases[0].steps[0].target.pool: pool is for hugetlb-free, hugetlb; a 'anon' target takes pages, index`,
      `s.yaml:${at(text, 'true')}: cases[0].steps[0].target.shared: shared is for hugetlb; a 'anon' target takes pages, index`,
      `s.yaml:${at(text, '2 }')}: cases[0].steps[1].target.pages: pages is for anon, anon-shared, shmem, mlocked, thp, hugetlb, pagecache-clean, pagecache-dirty, tmpfs-clean, tmpfs-dirty; a 'free' target takes none of pool, size, shared, fault, pages, index`,
    ]);
  });

  it('bad values: a size the kernel has no pool for, pages over the helper cap, an index outside pages:', () => {
    const text = suiteText('      - target: { name: t0, kind: hugetlb, size: 4M }\n      - target: { name: t1, kind: thp, pages: 65 }\n      - target: { name: t2, kind: anon, pages: 2, index: 2 }\n      - target: { name: t3, kind: hugetlb, pool: 0 }\n');
    const problems = lint(text);
    expect(problems).toEqual([
      expect.stringMatching(new RegExp(`^s\\.yaml:${at(text, '4M')}: .*size: expected one of 2M, 1G, got '4M'`)),
      `s.yaml:${at(text, '65')}: cases[0].steps[1].target.pages: a 'thp' target has at most 64 pages (the helper's cap), not 65`,
      `s.yaml:${at(text, '2 }')}: cases[0].steps[2].target.index: index: 2 is not one of the target's 2 pages (0..1); set pages: to more`,
      expect.stringMatching(new RegExp(`^s\\.yaml:${at(text, '0 }')}: cases\\[0\\]\\.steps\\[3\\]\\.target\\.pool: `)),
    ]);
  });

  it('fault: false cannot be placed on a node: there is no page to move', () => {
    const text = suiteText('      - target: { name: t0, kind: hugetlb, fault: false, node: 1 }\n');
    expect(lint(text)).toEqual([`s.yaml:${at(text, 'false')}: cases[0].steps[0].target.fault: fault: false leaves no page to move to node 1: fault it in (access: t0), then migrate: { target: t0, node: 1 }`]);
  });

  it('knobs are carried to the action as written (defaults applied where they are used)', () => {
    expect(parsedTarget('target: { name: t0, kind: hugetlb, pool: 2, size: 1G, shared: true, fault: false, pages: 2, index: 1 }')).toEqual({
      kind: 'target',
      name: 't0',
      targetKind: 'hugetlb',
      knobs: { pool: 2, size: '1G', shared: true, fault: false, pages: 2, index: 1 },
    });
    expect(parsedTarget('target: { name: t0, kind: anon }')).toEqual({ kind: 'target', name: 't0', targetKind: 'anon' });
    expect(resolveKnobs(undefined)).toEqual({ pool: null, size: '2M', shared: false, fault: true, pages: 1, index: 0 });
    expect(describeKnobs({ size: '1G', shared: true, fault: false, pages: 4, index: 2 })).toBe('1G, shared, not faulted in, page 2 of 4');
    expect(describeKnobs({ pool: 2 })).toBe('');
    // An access without an index means the target's own page.
    const result = parseSuite(suiteText('      - target: { name: t0, kind: anon, pages: 4, index: 2 }\n      - access: t0\n'), 's.yaml');
    expect(result.ok && result.suite.cases[0]!.steps[1]!.action).toEqual({ kind: 'access', target: 't0', mode: 'read', index: null });
  });

  it('knobProblems is the same check without a suite', () => {
    expect(knobProblems('hugetlb', { pool: 2, size: '1G', shared: true, fault: false, pages: 3, index: 2 })).toEqual([]);
    expect(knobProblems('slab', { size: '2M' }).map((problem) => problem.knob)).toEqual(['size']);
  });

  it('every documented target form with knobs lints in a default guest', () => {
    const withKnobs = STEP_DOCS.target.forms.filter((form) => TARGET_KNOB_NAMES.some((knob) => form.includes(`${knob}:`)));
    expect(withKnobs.length).toBeGreaterThan(0);
    for (const form of withKnobs) expect(lint(suiteText(`      - ${form}\n`)), form).toEqual([]);
  });
});

describe('fault: false: no PFN until a step faults the page in', () => {
  const RESERVED = "target 't0' is only reserved (fault: false): it has no page, so no PFN, until an access, fill or verify step faults it in; add one before, or leave fault: false out";

  it('refuses an inject, a migrate, a block and a PFN wait before the page is faulted in', () => {
    const text = suiteText(
      [
        '      - target: { name: t0, kind: hugetlb, fault: false }',
        '      - inject: { method: madvise-hwpoison, target: t0 }',
        '      - wait: { event: memory-failure, pfn: $t0 }',
        '      - migrate: { target: t0, node: 0 }',
        '      - memoryBlock: { block: $t0, state: offline }',
        '',
      ].join('\n'),
    );
    expect(lint(text)).toEqual([
      `s.yaml:${at(text, 't0 }', 1)}: cases[0].steps[1].inject.target: madvise-hwpoison injects into a page: ${RESERVED}`,
      `s.yaml:${at(text, '$t0 }')}: cases[0].steps[2].wait.pfn: $t0: ${RESERVED}`,
      `s.yaml:${at(text, 't0, node')}: cases[0].steps[3].migrate.target: migrate moves a page: ${RESERVED}`,
      `s.yaml:${at(text, '$t0, state')}: cases[0].steps[4].memoryBlock.block: block: $t0 is the block of its page: ${RESERVED}`,
    ]);
  });

  it('refuses PFN expectations when no step faults it in, but not its address', () => {
    const expect_ = ['      - event: memory-failure', '        pfn: $t0', '      - pages.$t0: { set: [hwpoison] }', '      - target: t0', '        pfn: moved', '      - sigbus: { addr: $t0.vaddr }', '        count: none', '      - meminfo.HugePages_Rsvd: +1', ''].join('\n');
    const text = suiteText('      - target: { name: t0, kind: hugetlb, fault: false }\n', expect_);
    expect(lint(text)).toEqual([
      `s.yaml:${at(text, '$t0\n')}: cases[0].expect[0].pfn: $t0: ${RESERVED}`,
      `s.yaml:${at(text, '{ set')}: cases[0].expect[1].pages.$t0: pages.$t0: ${RESERVED}`,
      `s.yaml:${at(text, 't0\n', 2)}: cases[0].expect[2].target: the target: check reads its page: ${RESERVED}`,
    ]);
  });

  it('after an access, fill or verify the target has a PFN: inject and expectations are fine', () => {
    for (const touch of ['access: { target: t0, mode: write }', 'fill: t0', 'verify: t0']) {
      const text = suiteText(
        `      - target: { name: t0, kind: hugetlb, pool: 2, fault: false }\n      - ${touch}\n      - inject: { method: sysfs-soft-offline, target: t0 }\n`,
        '      - pages.$t0: { set: [hwpoison] }\n      - target: t0\n        pfn: moved\n',
      );
      expect(lint(text), touch).toEqual([]);
    }
  });

  it('an access index must be one of the target pages', () => {
    const text = suiteText('      - target: { name: t0, kind: anon, pages: 2 }\n      - access: { target: t0, index: 1 }\n      - access: { target: t0, index: 2 }\n');
    expect(lint(text)).toEqual([`s.yaml:${at(text, '2 }', 2)}: cases[0].steps[2].access.index: index 2 is not a page of target 't0', which has 2 (0..1: pages: on the target sets how many)`]);
  });
});
