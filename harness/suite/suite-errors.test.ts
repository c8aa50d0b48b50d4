import { describe, expect, it } from 'vitest';
import { parseSuite } from './load-suite.ts';
import { formatProblem } from './problems.ts';

/** line:col of the first occurrence of `needle` (or of its `nth` occurrence), 1-based like the problems. */
function at(text: string, needle: string, nth = 1): string {
  let index = -1;
  for (let i = 0; i < nth; i++) {
    index = text.indexOf(needle, index + 1);
    if (index < 0) throw new Error(`test bug: '${needle}' not in the YAML`);
  }
  const before = text.slice(0, index);
  const line = before.split('\n').length;
  const column = index - before.lastIndexOf('\n');
  return `${line}:${column}`;
}

function problems(text: string): string[] {
  const result = parseSuite(text, 's.yaml');
  if (result.ok) throw new Error('expected problems, the suite loaded');
  return result.problems.map(formatProblem);
}

/** A suite around one case body (indented under `- `). */
function suite(caseBody: string, header = ''): string {
  return `suite: s\ntitle: t\n${header}cases:\n  - id: c\n    title: t\n${caseBody}`;
}

const STEPS = '    steps:\n      - target: { name: t0, kind: anon }\n';

describe('YAML syntax errors', () => {
  it('are reported at their position, once per line', () => {
    const text = 'suite: s\ntitle: t\ncases:\n  - id: c\n    title: a: b\n';
    expect(problems(text)).toEqual([`s.yaml:${at(text, 'a: b')}: YAML syntax: Nested mappings are not allowed in compact mappings (quote a value that contains ': ', such as a shell command)`]);
  });

  it('hint at quoting a version range that starts with >', () => {
    const text = suite(STEPS, 'requires:\n  kernel: >=6.12\n');
    // The parser stops just after the '>' it took for a folded block scalar.
    expect(problems(text)).toEqual([expect.stringMatching(new RegExp(`^s\\.yaml:${at(text, '=6.12')}: YAML syntax: .*must be quoted: '>=6\\.12'`))]);
  });

  it('hint at quoting a ${parameter} inside a flow mapping', () => {
    const text = suite('    parameters: { m: [debugfs] }\n    steps:\n      - target: { name: t0, kind: ${m} }\n');
    expect(problems(text)[0]).toMatch(new RegExp(`^s\\.yaml:${at(text, '{m}')}: YAML syntax: .*quote a \\$\\{parameter\\}`));
  });

  it('find duplicate keys, a second document and aliases without anchors', () => {
    const duplicate = 'suite: s\ntitle: t\ntitle: u\ncases: []\n';
    expect(problems(duplicate)).toEqual([`s.yaml:${at(duplicate, 'title', 2)}: YAML syntax: Map keys must be unique`]);
    const twoDocs = 'suite: s\n---\nsuite: t\n';
    expect(problems(twoDocs)).toEqual([`s.yaml:2:1: YAML syntax: a suite file holds one document; remove the second \`---\``]);
    const alias = suite('    steps: *common\n');
    expect(problems(alias)).toEqual([`s.yaml:${at(alias, '*common')}: YAML alias *common has no anchor &common before it`]);
  });
});

describe('schema errors point at the offending node', () => {
  it('unknown keys, with a suggestion, at the key', () => {
    const text = suite(STEPS, 'tittle: x\nguest:\n  memory_mib: 512\n');
    expect(problems(text)).toEqual([
      `s.yaml:${at(text, 'tittle')}: tittle: unknown key 'tittle'; did you mean 'title'?`,
      `s.yaml:${at(text, 'memory_mib')}: guest.memory_mib: unknown key 'memory_mib'; did you mean 'memoryMiB'?`,
    ]);
  });

  it('unknown keys deep in the guest spec, and the planned numa key', () => {
    const text = suite(STEPS, 'guest:\n  machine: { typ: q35 }\n  numa: { nodes: 2 }\n');
    expect(problems(text)).toEqual([
      `s.yaml:${at(text, 'typ')}: guest.machine.typ: unknown key 'typ'; did you mean 'type'?`,
      `s.yaml:${at(text, 'numa')}: guest.numa: 'numa' (a NUMA layout for the guest) is planned but not supported yet; the guest has one node`,
    ]);
  });

  it('a bad enum value, with what was expected and a suggestion', () => {
    const text = suite(`${STEPS}      - inject: { method: hard-offline, target: t0 }\n`);
    expect(problems(text)).toEqual([
      `s.yaml:${at(text, 'hard-offline')}: cases[0].steps[1].inject.method: expected one of debugfs, debugfs-unpoison, madvise-hwpoison, madvise-soft-offline, sysfs-soft-offline, sysfs-hard-offline, mce-srao, mce-srar, got 'hard-offline'; did you mean 'sysfs-hard-offline'?`,
    ]);
  });

  it('a wrong type and a missing key (at the mapping that lacks it)', () => {
    const text = suite(`${STEPS}      - access: { target: t0, index: first }\n      - inject: { method: debugfs }\n`);
    expect(problems(text)).toEqual([
      `s.yaml:${at(text, 'first')}: cases[0].steps[1].access.index: expected a number, got 'first'`,
      `s.yaml:${at(text, '{ method: debugfs }')}: cases[0].steps[2].inject.target: missing required key 'target' (a string)`,
    ]);
  });

  it('an unknown step or expectation, and an unknown event field', () => {
    const text = suite(`${STEPS}      - injct: { method: debugfs, target: t0 }\n    expect:\n      - evnt: memory-failure\n      - event: memory-failure\n        pfm: $t0\n`);
    expect(problems(text)).toEqual([
      `s.yaml:${at(text, 'injct')}: cases[0].steps[1].injct: unknown step 'injct'; did you mean 'inject'?`,
      `s.yaml:${at(text, 'evnt')}: cases[0].expect[0].evnt: unknown expectation 'evnt'; did you mean 'event'?`,
      `s.yaml:${at(text, 'pfm')}: cases[0].expect[1].pfm: 'memory-failure' events have no field 'pfm'; did you mean 'pfn'?`,
    ]);
  });

  it('state paths, kpageflags names and taint flags', () => {
    const text = suite(`${STEPS}    expect:\n      - memoryFailure.node0.recoverd: +1\n      - pages.$t0: { set: [hwpoisn] }\n      - meminfo.HardwareCorrupted: +4 MB\n`);
    expect(problems(text)).toEqual([
      `s.yaml:${at(text, 'memoryFailure')}: cases[0].expect[0].memoryFailure.node0.recoverd: no memory_failure counter 'recoverd' (counters: total, ignored, failed, delayed, recovered); did you mean 'recovered'?`,
      `s.yaml:${at(text, 'hwpoisn')}: cases[0].expect[1].pages.$t0.set[0]: unknown kpageflags name "hwpoisn"; did you mean 'hwpoison'?`,
      `s.yaml:${at(text, '+4 MB')}: cases[0].expect[2].meminfo.HardwareCorrupted: expected a number (in kB) such as +4, -1, 0, at least 4 or at most 8, got '+4 MB'`,
    ]);
  });

  it('an unquoted version that YAML turned into a number', () => {
    const text = suite(STEPS, 'requires:\n  kernel: 6.10\n');
    expect(problems(text)).toEqual([`s.yaml:${at(text, '6.10')}: requires.kernel: quote the version: '6.1' (YAML reads an unquoted version as a number, and 6.10 as 6.1)`]);
  });
});

describe('cross-reference errors', () => {
  it('duplicate case ids, pointing at the second with the first', () => {
    const text = `suite: s\ntitle: t\ncases:\n  - id: dup\n    title: a\n${STEPS}  - id: dup\n    title: b\n${STEPS}`;
    expect(problems(text)).toEqual([`s.yaml:${at(text, 'dup', 2)}: duplicate case id 'dup' (also at s.yaml:${at(text, 'dup')})`]);
  });

  it('a target used but never prepared, and madvise on a page nobody maps', () => {
    const text = suite('    steps:\n      - target: { name: t0, kind: free }\n      - inject: { method: madvise-hwpoison, target: t0 }\n      - access: t1\n');
    expect(problems(text)).toEqual([
      `s.yaml:${at(text, 'madvise-hwpoison')}: cases[0].steps[1].inject.method: madvise-hwpoison needs a page the helper maps, and a 'free' page has no owner to call madvise; use another method, or exclude this combination under exclude:`,
      `s.yaml:${at(text, 't1')}: cases[0].steps[2].access.target: no target 't1' in this case; did you mean 't0'?`,
    ]);
  });

  it('parameters: unknown, unused, a typo in exclude, an id that does not vary', () => {
    const text = suite(
      '    parameters:\n      method: [debugfs, mce-srao]\n      spare: [x]\n    exclude:\n      - { methd: debugfs }\n    steps:\n      - target: { name: t0, kind: anon }\n',
    );
    expect(problems(text)).toEqual([`s.yaml:${at(text, 'methd')}: cases[0].exclude[0].methd: 'methd' is not a parameter of this case (parameters: method, spare); did you mean 'method'?`]);

    const unknownParameter = suite('    parameters: { method: [debugfs, mce-srao] }\n    steps:\n      - target: { name: t0, kind: anon }\n      - inject: { method: \'${methd}\', target: t0 }\n      - shell: echo ${method}\n');
    expect(problems(unknownParameter)).toEqual([
      `s.yaml:${at(unknownParameter, 'c\n')}: cases[0].id: the id must mention \${method}: it varies, and each expansion needs its own id (e.g. c-\${method})`,
      `s.yaml:${at(unknownParameter, "'${methd}'")}: cases[0].steps[1].inject.method: unknown parameter \${methd}; did you mean 'method'? ($\${...} writes a literal \${...})`,
    ]);

    const unused = suite('    parameters: { spare: [x] }\n    steps:\n      - target: { name: t0, kind: anon }\n      - shell: echo $${spare}\n');
    expect(problems(unused)).toEqual([`s.yaml:${at(unused, 'spare')}: cases[0].parameters.spare: parameter 'spare' is never used: write \${spare} where it belongs`]);
  });

  it('an expansion-specific problem names the parameter values that caused it', () => {
    const text = suite("    parameters: { kind: [anon, anonn] }\n    steps:\n      - target: { name: t0, kind: '${kind}' }\n").replace('id: c', 'id: c-${kind}');
    expect(problems(text)).toEqual([
      `s.yaml:${at(text, "'${kind}'")}: cases[0].steps[0].target.kind: expected one of free, hugetlb-free, anon, anon-shared, shmem, mlocked, thp, hugetlb, pagecache-clean, pagecache-dirty, tmpfs-clean, tmpfs-dirty, got 'anonn'; did you mean 'anon'? [kind=anonn]`,
    ]);
  });
});
