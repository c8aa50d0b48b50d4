import { describe, expect, it } from 'vitest';
import { groupByGuest, bootModulesFor, injectsMachineCheck, planWork } from '../runner/run-plan.ts';
import { formatProblem, kernelFacts, parseSuite, type SuiteCase } from '../suite/index.ts';
import type { Guest } from '../vm/guest.ts';
import { INJECTION_METHODS, physAddrOf, pfnHex, type InjectionMethod, type PageTarget } from './injection.ts';
import { INJECTORS } from './injectors.ts';
import { srarCmdline } from './machine-check.ts';
import { METHOD_TRAITS, methodsWhere, taintMethodMayAdd } from './method-traits.ts';

// The decisions METHOD_TRAITS encodes, checked where they take effect: lint, implied
// requirements, boot modules, the allowed new taint, and the injectors themselves.

const SRAR_GUEST = `guest: { cpus: 2, cmdline: [${srarCmdline(2).map((word) => `'${word}'`).join(', ')}] }\n`;

function load(method: InjectionMethod, kind = 'anon'): { cases: SuiteCase[]; problems: string[] } {
  const text = `suite: s\ntitle: t\n${SRAR_GUEST}cases:\n  - id: c\n    title: t\n    steps:\n      - target: { name: t0, kind: ${kind} }\n      - inject: { method: ${method}, target: t0 }\n`;
  const result = parseSuite(text, 's.yaml');
  return result.ok ? { cases: result.suite.cases, problems: [] } : { cases: [], problems: result.problems.map(formatProblem) };
}

function loadCase(method: InjectionMethod): SuiteCase {
  const { cases, problems } = load(method);
  expect(problems).toEqual([]);
  return cases[0]!;
}

describe('METHOD_TRAITS', () => {
  it('names the families the observer and the docs rely on', () => {
    expect(methodsWhere((traits) => traits.action === 'soft-offline')).toEqual(['madvise-soft-offline', 'sysfs-soft-offline']);
    expect(methodsWhere((traits) => traits.action === 'unpoison')).toEqual(['debugfs-unpoison']);
    // SRAO: the #MC handler only logs it; memory_failure() runs later from a work queue.
    expect(methodsWhere((traits) => traits.verdict === 'asynchronous')).toEqual(['mce-srao']);
    expect(methodsWhere((traits) => traits.machineCheck)).toEqual(INJECTION_METHODS.filter((method) => method.startsWith('mce-')));
  });

  it('a machine check may add the M taint, and a case that injects one is allowed it; no other method is', () => {
    for (const method of INJECTION_METHODS) {
      const traits = METHOD_TRAITS[method];
      expect(traits.mayTaint, method).toEqual(traits.machineCheck ? ['MACHINE_CHECK'] : []);
      expect(taintMethodMayAdd(method).map((flag) => flag.letter), method).toEqual(traits.machineCheck ? ['M'] : []);
      const testCase = loadCase(method);
      expect(testCase.implicit.allowedNewTaint.map((flag) => flag.letter), method).toEqual(traits.machineCheck ? ['M'] : []);
      expect(injectsMachineCheck(testCase), method).toBe(traits.machineCheck);
    }
  });

  it("every method's boot modules are loaded at boot by a guest that runs a case using it", () => {
    const facts = kernelFacts({ release: '6.12.117+deb12-amd64', upstreamVersion: '6.12.117' });
    for (const method of INJECTION_METHODS) {
      const [group] = groupByGuest(planWork([loadCase(method)], 1, 1));
      const modules = bootModulesFor(group!, facts);
      expect(modules, method).toEqual(expect.arrayContaining([...METHOD_TRAITS[method].bootModules]));
      if (METHOD_TRAITS[method].bootModules.length === 0) expect(modules, method).toEqual([]);
    }
    expect(methodsWhere((traits) => traits.bootModules.includes('hwpoison_inject'))).toEqual(['debugfs', 'debugfs-unpoison']);
  });

  it("a method's needs are its cases' implied requirements", () => {
    for (const method of INJECTION_METHODS) {
      const implied = loadCase(method).requirements.filter((requirement) => requirement.implied && requirement.because === `inject method ${method}`);
      const config = Object.entries(METHOD_TRAITS[method].needs.config ?? {}).map(([option, accepted]) => ({ kind: 'config', option, accepted }));
      expect(implied, method).toEqual(config.map((need) => expect.objectContaining(need)));
    }
  });

  it('owner: lint refuses a page nobody maps for the methods the owner calls; the injector refuses it for those the owner consumes', () => {
    const unowned: PageTarget = { kind: 'free', pfn: 0x10000n };
    const owned: PageTarget = { kind: 'anon', pfn: 0x10000n, owner: {} as never };
    for (const method of INJECTION_METHODS) {
      const { owner } = METHOD_TRAITS[method];
      expect(INJECTORS[method].refuse(unowned) !== null, method).toBe(owner !== 'none');
      expect(INJECTORS[method].refuse(owned), method).toBeNull();
      const lint = load(method, 'free').problems;
      if (owner === 'calls') expect(lint, method).toEqual([expect.stringContaining(`${method} needs a page the helper maps`)]);
      else expect(lint, method).toEqual([]);
    }
  });

  it('takes: the injector names the page by PFN, physical address or the owner\'s virtual address', async () => {
    const pfn = 0x12345n;
    const vaddr = 0x7f0000003000n;
    const expected = { pfn: pfnHex(pfn), 'physical-address': `0x${physAddrOf(pfn).toString(16)}`, 'owner-vaddr': `0x${vaddr.toString(16)}` };
    // mce-srar raises its machine check only while the owner spins on the page: not faked here.
    for (const method of INJECTION_METHODS.filter((m) => METHOD_TRAITS[m].owner !== 'consumes')) {
      const fake = {
        spec: { cpus: 1 },
        markUnfitForSnapshot: () => undefined,
        exec: async () => ({ stdout: '{"ok":true}\n', stderr: '', exitCode: 0 }),
        machine: { startedAt: Date.now(), qmp: { hmp: async () => '' } },
      } as unknown as Guest;
      const helper = { pid: 1, madvise: async () => ({ ret: 0 }) };
      const target: PageTarget = { kind: 'anon', pfn, owner: { helper: helper as never, name: 't0', index: 0, vaddr } };
      const record = await INJECTORS[method].inject({ guest: fake }, target);
      const words = record.action.split(/[\s(),]+/);
      const takes = METHOD_TRAITS[method].takes;
      expect(words, `${method}: ${record.action}`).toContain(expected[takes]);
      for (const other of Object.values(expected).filter((value) => value !== expected[takes])) expect(words, `${method}: ${record.action}`).not.toContain(other);
    }
  });
});
