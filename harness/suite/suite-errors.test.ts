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

  it('unknown keys deep in the guest spec', () => {
    const text = suite(STEPS, 'guest:\n  machine: { typ: q35 }\n');
    expect(problems(text)).toEqual([`s.yaml:${at(text, 'typ')}: guest.machine.typ: unknown key 'typ'; did you mean 'type'?`]);
  });

  it('a topology QEMU cannot build, before any boot: node memory, vCPUs, slots, maxmem, pmem beyond RAM', () => {
    const text = suite(
      STEPS,
      [
        'guest:',
        '  memoryMiB: 2048',
        '  cpus: 2',
        '  numa: [{ cpus: [0, 2], memoryMiB: 1024 }, { memoryMiB: 512 }]',
        '  hotplug: { slots: 1, maxMemoryMiB: 2560 }',
        '  dimms: [{ id: d0, sizeMiB: 512 }, { id: d1, sizeMiB: 512, node: 3 }]',
        '  legacyPmem: [{ sizeMiB: 512, offsetMiB: 2048 }]',
        '',
      ].join('\n'),
    );
    expect(problems(text)).toEqual([
      `s.yaml:${at(text, '[{ cpus')}: guest.numa: the nodes' memory adds up to 1536 MiB but memoryMiB is 2048; they must be equal`,
      `s.yaml:${at(text, '[0, 2]')}: guest.numa[0].cpus: vCPU 2 does not exist: the guest has 2 (cpus: 2)`,
      `s.yaml:${at(text, '1, maxMemoryMiB')}: guest.hotplug.slots: 2 DIMM/NVDIMM device(s) at boot but only 1 slot(s)`,
      `s.yaml:${at(text, '2560')}: guest.hotplug.maxMemoryMiB: boot memory 2048 MiB plus devices 1024 MiB exceed maxMemoryMiB 2560`,
      `s.yaml:${at(text, '3 }]')}: guest.dimms[1].node: node 3 does not exist: the guest has 2 node(s)`,
      `s.yaml:${at(text, '{ sizeMiB: 512, offsetMiB')}: guest.legacyPmem[0]: memmap=512M!2048M ends at 2560 MiB, beyond the guest's low RAM (2048 MiB): the kernel would ignore it`,
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

describe('machine-check guests', () => {
  it('mce-srar needs the isolated second CPU the owner reads the page on', () => {
    const body = `${STEPS}      - inject: { method: mce-srar, target: t0 }\n`;
    const text = suite(body);
    expect(problems(text)).toEqual([
      `s.yaml:${at(text, 'mce-srar')}: cases[0].steps[1].inject.method: mce-srar needs a guest with cpus: 2 (or more) and the last CPU isolated for the owner to read the page on: cpus: 2, cmdline: ['isolcpus=nohz,domain,1', 'nohz_full=1', 'irqaffinity=0'] (harness/inject/machine-check.ts srarCmdline)`,
    ]);
    const ok = parseSuite(suite(body, "guest:\n  cpus: 2\n  cmdline: ['isolcpus=nohz,domain,1', nohz_full=1, irqaffinity=0]\n"), 's.yaml');
    expect(ok.problems).toEqual([]);
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
      `s.yaml:${at(text, "'${kind}'")}: cases[0].steps[0].target.kind: expected one of free, free-movable, slab, hugetlb-free, anon, anon-shared, shmem, mlocked, thp, hugetlb, pagecache-clean, pagecache-dirty, tmpfs-clean, tmpfs-dirty, got 'anonn'; did you mean 'anon'? [kind=anonn]`,
    ]);
  });
});
