import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { pfnReadsAfterSteps } from './case-references.ts';
import { parseSuite } from './load-suite.ts';
import { formatProblem } from './problems.ts';
import type { ProgramAction } from './program-schema.ts';

function suite(steps: string, expect = ''): string {
  return `suite: s\ntitle: t\ncases:\n  - id: c\n    title: t\n    steps:\n${steps}${expect ? `    expect:\n${expect}` : ''}`;
}

function problems(yaml: string): string[] {
  const loaded = parseSuite(yaml, 's.yaml');
  return loaded.ok ? [] : loaded.problems.map(formatProblem);
}

function caseOf(yaml: string) {
  const loaded = parseSuite(yaml, 'suites/s.yaml');
  if (!loaded.ok) throw new Error(loaded.problems.map(formatProblem).join('\n'));
  return loaded.suite.cases[0]!;
}

describe('references in shell commands and program arguments', () => {
  it('accepts every form where what it names exists before the step', () => {
    const yaml = suite(
      [
        '      - target: { name: t0, kind: anon }',
        '      - inject: { method: madvise-soft-offline, target: t0 }',
        '        id: first',
        '      - program: { path: programs/p.sh, name: p1, background: true }',
        "      - shell: 'echo $t0.pfn $t0.phys $t0.vaddr $t0.block $t0.now $t0@first $t0@first.phys $helper.pid $helper.comm $p1.pid $p1.comm $x'",
        "      - program: { path: programs/q.sh, args: ['$p1.pid', '$t0@first', plain] }",
        '',
      ].join('\n'),
    );
    expect(problems(yaml)).toEqual([]);
  });

  it('refuses, at the command, what is unknown, not prepared yet, or started later', () => {
    const yaml = suite(
      [
        "      - shell: 'echo $t0.pfn $p1.pid $t0@first $t9.pfn $f.bak'",
        '      - target: { name: t0, kind: anon }',
        '        id: first',
        '      - program: { path: programs/p.sh, name: p1 }',
        '',
      ].join('\n'),
    );
    expect(problems(yaml)).toEqual([
      "s.yaml:7:16: cases[0].steps[0].shell: $t0.pfn: target 't0' is used before the step that prepares it",
      "s.yaml:7:16: cases[0].steps[0].shell: $p1.pid: program 'p1' is started by a later step; its pid is known once its step ran",
      "s.yaml:7:16: cases[0].steps[0].shell: $t0@first: target 't0' is used before the step that prepares it",
      "s.yaml:7:16: cases[0].steps[0].shell: $t9.pfn: no target 't9' in this case; prepare one with - target: { name: t0, kind: anon }",
      "s.yaml:7:16: cases[0].steps[0].shell: '$f.bak': a target has .pfn, .vaddr, .phys, .block and .now, a program .pid and .comm (for the shell's variable f followed by '.bak', write $${f}.bak)",
    ]);
  });

  it('wants a page the helper maps for .vaddr, .now and @ID, and an earlier step for @ID', () => {
    const yaml = suite(
      [
        '      - target: { name: f0, kind: free }',
        '      - target: { name: t0, kind: anon }',
        "      - shell: 'echo $f0.vaddr $f0.now $f0@x $t0@later $t0@nope'",
        '      - sleep: 1s',
        '        id: later',
        '',
      ].join('\n'),
    );
    const found = problems(yaml);
    expect(found).toContain("s.yaml:9:16: cases[0].steps[2].shell: $f0.vaddr: a 'free' page is not mapped by the helper, so it has no address");
    expect(found).toContain("s.yaml:9:16: cases[0].steps[2].shell: $f0.now: a 'free' page is not mapped by the helper, so it has no mapping to read the PFN of now; its PFN does not change: write $f0");
    expect(found).toContain("s.yaml:9:16: cases[0].steps[2].shell: $f0@x: a 'free' page is not mapped by the helper, so nothing moves it: write $f0");
    expect(found).toContain("s.yaml:9:16: cases[0].steps[2].shell: $t0@later: step 'later' has not run yet here (the PFN after it is known once it ran)");
    expect(found).toContain("s.yaml:9:16: cases[0].steps[2].shell: $t0@nope: no step with id 'nope' in this case (step ids: later)");
  });

  it('points at the argument of a program', () => {
    const yaml = suite("      - program: { path: programs/p.sh, args: [ok, '$t0.pfn'] }\n");
    expect(problems(yaml)).toEqual(["s.yaml:7:52: cases[0].steps[0].program.args[1]: $t0.pfn: no target 't0' in this case; prepare one with - target: { name: t0, kind: anon }"]);
  });
});

describe('references in event fields and expectations', () => {
  it('takes $NAME.pid and $NAME.comm for a program, $t0.now and $t0@ID for a PFN', () => {
    const yaml = suite(
      ['      - target: { name: t0, kind: anon }', '        id: prep', '      - program: { path: programs/p.sh, name: p1 }', '      - wait: { event: mce-kill, pid: $p1.pid, comm: $p1.comm }', '      - wait: { event: memory-failure, pfn: $t0.now }', ''].join('\n'),
      ['      - event: sigbus-sent', '        pid: $p1.pid', '      - event: memory-failure', '        pfn: $t0@prep', '      - target: t0', '        pfn: moved', '        since: prep', ''].join('\n'),
    );
    expect(problems(yaml)).toEqual([]);
  });

  it('refuses a program that does not exist and a since without a step or a pfn', () => {
    const yaml = suite(
      ['      - target: { name: t0, kind: anon }', '      - wait: { event: mce-kill, pid: $p1.pid }', ''].join('\n'),
      ['      - target: t0', '        pfn: same', '        since: nope', ''].join('\n'),
    );
    expect(problems(yaml)).toEqual([
      "s.yaml:8:39: cases[0].steps[1].wait.pid: $p1.pid: no program 'p1' in this case; run one with - program: { path: programs/x.c, name: p1 }",
      "s.yaml:12:16: cases[0].expect[0].since: no step with id 'nope' in this case; give that step an id: poison beside its action",
    ]);
    expect(problems(suite('      - target: { name: t0, kind: anon }\n', ['      - target: t0', '        data: intact', '        since: nope', ''].join('\n')))).toEqual([
      's.yaml:11:16: cases[0].expect[0].since: since: STEP-ID says from when pfn: moved|same counts; add pfn:',
    ]);
  });

  it('refuses a reference that does not fit its field', () => {
    expect(problems(suite('      - target: { name: t0, kind: anon }\n', '      - event: memory-failure\n        pfn: $t0.phys\n'))).toEqual([
      's.yaml:10:14: cases[0].expect[0].pfn: $t0.phys does not fit here; expected $t0, $t0.now or $t0@STEP-ID (a PFN)',
    ]);
  });
});

describe('program steps', () => {
  it('resolves the path against the suite file, names the program after its file, defaults its expect by mode', () => {
    const testCase = caseOf(suite(['      - program: programs/hold-and-read.c', '      - program: { path: programs/tool, name: tool, args: [1, x], background: true, ready: ^ready }', ''].join('\n')));
    const [first, second] = testCase.steps as unknown as [{ action: ProgramAction; expect: unknown[] }, { action: ProgramAction; expect: unknown[] }];
    expect(first.action).toEqual({ kind: 'program', name: 'hold_and_read', path: 'programs/hold-and-read.c', file: path.resolve('suites/programs/hold-and-read.c'), args: [], cflags: [], background: false, ready: null });
    expect(first.expect).toEqual([{ exit: 0, when: null, xfail: null }]);
    expect(second.action).toMatchObject({ name: 'tool', args: ['1', 'x'], cflags: null, background: true, ready: '^ready' });
    expect(second.expect).toEqual([{ running: true, when: null, xfail: null }]);
  });

  it('takes exit, stdout, stderr, signal, sigbus and running outcomes', () => {
    const testCase = caseOf(suite("      - program: { path: programs/p.c, background: true }\n        expect: { signal: SIGBUS, sigbus: { code: BUS_MCEERR_AR, addr: '0x200000000' }, stdout: ready, running: false }\n"));
    expect(testCase.steps[0]!.expect[0]).toMatchObject({ signal: 'SIGBUS', sigbus: { code: 'BUS_MCEERR_AR', addr: { kind: 'equals', value: '0x200000000' } }, stdout: 'ready', running: false });
    expect(caseOf(suite('      - program: programs/p.c\n        expect: { signal: none, sigbus: any }\n')).steps[0]!.expect[0]).toMatchObject({ signal: null, sigbus: { code: null, addr: null, lsb: null, async: null } });
  });

  it('refuses what cannot work, each at its key', () => {
    expect(problems(suite('      - program: { path: programs/p.sh, cflags: [-O0] }\n'))).toEqual(['s.yaml:7:49: cases[0].steps[0].program.cflags: cflags are for a C file (.c), which the harness compiles; this file is copied as it is']);
    expect(problems(suite('      - program: { path: programs/p.c, ready: x }\n'))).toEqual(['s.yaml:7:47: cases[0].steps[0].program.ready: ready: is for a background program (background: true); a program that runs to its end is waited for anyway']);
    expect(problems(suite('      - program: { path: /bin/true }\n'))).toEqual(["s.yaml:7:26: cases[0].steps[0].program.path: a program's path is relative to the suite file (programs/true), not absolute"]);
    expect(problems(suite('      - program: programs/p.c\n        expect: { signal: SIGBOS }\n'))).toEqual(["s.yaml:8:17: cases[0].steps[0].expect[0].signal: expected none or a signal name such as SIGBUS, SIGKILL, SIGSEGV, got 'SIGBOS'; did you mean 'SIGBUS'?"]);
    expect(problems(suite('      - program: programs/p.c\n        expect: { sigbus: { code: BUS_MCEERR_AR, lsb: 12 }, running: true }\n'))).toEqual([
      "s.yaml:8:17: cases[0].steps[0].expect[0].sigbus.lsb: a program's si_addr_lsb is not in the kernel's log, so it cannot be checked; leave lsb out (code, addr and async are)",
      's.yaml:8:17: cases[0].steps[0].expect[0].running: running: is about a background program (background: true); this one runs to its end',
    ]);
    expect(problems(suite(['      - target: { name: p1, kind: anon }', '      - program: { path: programs/a.c, name: p1 }', '      - program: { path: programs/b.c, name: p1 }', ''].join('\n')))).toEqual([
      "s.yaml:8:46: cases[0].steps[1].program.name: 'p1' names a target already; give the program another name",
      "s.yaml:9:46: cases[0].steps[2].program.name: 'p1' names a target already; give the program another name",
      "s.yaml:9:46: cases[0].steps[2].program.name: two program steps of this case are named 'p1'; give each its own name: ($p1.pid would be ambiguous)",
    ]);
  });
});

describe('pfnReadsAfterSteps', () => {
  it('lists the targets read after each step id: @ID anywhere and since: ID', () => {
    const testCase = caseOf(
      suite(
        ['      - target: { name: t0, kind: anon }', '      - target: { name: t1, kind: anon }', '      - sleep: 1s', '        id: a', '      - sleep: 1s', '        id: b', "      - shell: 'echo $t0@a'", ''].join('\n'),
        ['      - event: memory-failure', '        pfn: $t1@a', '      - target: t1', '        pfn: moved', '        since: b', ''].join('\n'),
      ),
    );
    expect(pfnReadsAfterSteps(testCase)).toEqual(new Map([['a', new Set(['t0', 't1'])], ['b', new Set(['t1'])]]));
  });
});
