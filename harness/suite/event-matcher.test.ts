import { describe, expect, it } from 'vitest';
import { loadFixture } from '../kernel-log/fixtures/load-fixture.ts';
import { kernelEvents } from '../kernel-log/events/parse-event.ts';
import { parseSuite } from './load-suite.ts';
import { eventMatches, type RefValues } from './event-matcher.ts';
import type { SuiteCase } from './suite-case.ts';
import { numberMatches } from './number-matcher.ts';

function theCase(expectYaml: string): SuiteCase {
  const result = parseSuite(`suite: s\ntitle: t\ncases:\n  - id: c\n    title: t\n    steps:\n      - target: { name: t0, kind: anon }\n    expect:\n${expectYaml}`, 's.yaml');
  if (!result.ok) throw new Error(result.problems.map((p) => p.message).join('\n'));
  return result.suite.cases[0]!;
}

/** Counts, as the runner will, the recorded events an event expectation matches. */
function count(c: SuiteCase, index: number, events: ReturnType<typeof kernelEvents>, values: RefValues): number {
  const check = c.expectations[index]!.check;
  if (check.kind !== 'event') throw new Error('not an event expectation');
  return events.filter((found) => eventMatches(check.event, found.event, values)).length;
}

describe('event expectations against events recorded from the real kernels', () => {
  const c = theCase(
    [
      '      - event: memory-failure',
      '        pfn: $t0',
      '        pageType: dirty LRU page',
      '        result: Recovered',
      '        count: 1',
      '      - event: sigbus-sent',
      '        pfn: $t0',
      '        comm: $helper.comm',
      '      - event: mce-kill',
      '        addr: $t0.vaddr',
      '      - event: memory-failure',
      "        pageType: { regex: '^(dirty|clean) LRU page$' }",
      '',
    ].join('\n'),
  );

  it('6.12: madvise(MADV_HWPOISON) signals the owner from memory_failure()', () => {
    const fixture = loadFixture('6.12.117+deb12-amd64', 'madvise-hwpoison');
    const events = kernelEvents(fixture.kmsg);
    const values: RefValues = { target: () => ({ pfn: 0x2b73n, vaddr: 0x7f4825c18000n }), helper: { pid: 1764, comm: 'mh-log-probe' } };
    expect([0, 1, 2, 3].map((i) => count(c, i, events, values))).toEqual([1, 1, 0, 1]);
    expect(numberMatches((c.expectations[0]!.check as { count: { op: 'eq'; value: number } }).count, 1)).toBe(true);
  });

  it('6.1: the same madvise kills on the next access instead', () => {
    const fixture = loadFixture('6.1.0-56-amd64', 'madvise-hwpoison');
    const events = kernelEvents(fixture.kmsg);
    const values: RefValues = { target: () => ({ pfn: 0x304cn, vaddr: 0x7f7e6da79000n }), helper: { pid: 1713, comm: 'mh-log-probe' } };
    expect([0, 1, 2, 3].map((i) => count(c, i, events, values))).toEqual([1, 0, 1, 1]);
  });

  it('a reference the runner cannot resolve matches nothing', () => {
    const fixture = loadFixture('6.12.117+deb12-amd64', 'madvise-hwpoison');
    const events = kernelEvents(fixture.kmsg);
    expect(count(c, 0, events, { target: () => undefined })).toBe(0);
    expect(count(c, 1, events, { target: () => ({ pfn: 0x2b73n }) })).toBe(0);
  });

  it('literal PFNs in hex, quoted or not, are normalised', () => {
    const literal = theCase('      - event: memory-failure\n        pfn: 0x2B73\n      - event: memory-failure\n        pfn: "0x2b73"\n');
    const events = kernelEvents(loadFixture('6.12.117+deb12-amd64', 'madvise-hwpoison').kmsg);
    expect([0, 1].map((i) => count(literal, i, events, { target: () => undefined }))).toEqual([1, 1]);
  });
});
