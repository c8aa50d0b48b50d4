import { existsSync, readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parseModulesBuiltin, parseModulesDep } from '../image/module-index.ts';
import { cacheDir } from '../util/paths.ts';
import { parseKernelConfig, readKernelConfig } from './kernel-config.ts';
import { kernelFacts, type KernelFacts } from './kernel-facts.ts';
import { parseSuite } from './load-suite.ts';
import { conditionHolds, evaluateRequirements } from './requirements.ts';
import type { SuiteCase } from './suite-case.ts';

const here = path.dirname(fileURLToPath(import.meta.url));
const RELEASES = ['6.1.0-56-amd64', '6.12.117+deb12-amd64'] as const;

/** Facts as the runner builds them: kernel.json identity, the .config, the module index. */
function fixtureFacts(release: (typeof RELEASES)[number], options: { config?: boolean; modules?: boolean } = {}): KernelFacts {
  const identity = JSON.parse(readFileSync(path.join(here, 'fixtures', `kernel-${release}.json`), 'utf8')) as { release: string; upstreamVersion: string };
  const modulesDir = path.join(here, '..', 'image', 'fixtures', release);
  const modules = [...parseModulesDep(readFileSync(path.join(modulesDir, 'modules.dep'), 'utf8')).keys(), ...parseModulesBuiltin(readFileSync(path.join(modulesDir, 'modules.builtin'), 'utf8'))];
  return kernelFacts({
    release: identity.release,
    upstreamVersion: identity.upstreamVersion,
    config: options.config === false ? null : parseKernelConfig(readFileSync(path.join(here, 'fixtures', `config-${release}.excerpt`), 'utf8')),
    modules: options.modules === false ? null : modules,
  });
}

function cases(caseYaml: string): SuiteCase[] {
  const result = parseSuite(`suite: s\ntitle: t\ncases:\n${caseYaml}`, 's.yaml');
  if (!result.ok) throw new Error(result.problems.map((p) => p.message).join('\n'));
  return result.suite.cases;
}

function one(requires: string, steps = '      - target: { name: t0, kind: anon }\n'): SuiteCase {
  return cases(`  - id: c\n    title: t\n${requires}    steps:\n${steps}`)[0]!;
}

const v61 = fixtureFacts('6.1.0-56-amd64');
const v612 = fixtureFacts('6.12.117+deb12-amd64');

describe('facts of the Debian kernels', () => {
  it('have upstream versions and the derived features', () => {
    expect(v61.version).toEqual({ major: 6, minor: 1, patch: 192 });
    expect(v612.version).toEqual({ major: 6, minor: 12, patch: 117 });
    expect([...v61.features]).toEqual([]);
    expect([...v612.features].sort()).toEqual(['enable-soft-offline-sysctl', 'per-node-memory-failure-stats']);
  });

  it('fall back to the .config header for the upstream version', () => {
    const config = parseKernelConfig(readFileSync(path.join(here, 'fixtures', 'config-6.1.0-56-amd64.excerpt'), 'utf8'));
    expect(kernelFacts({ release: '6.1.0-56-amd64', config }).version).toEqual({ major: 6, minor: 1, patch: 192 });
  });
});

describe('evaluateRequirements', () => {
  it('skips by kernel version with the reason', () => {
    const c = one("    requires: { kernel: '>=6.12' }\n");
    expect(evaluateRequirements(c, v612)).toEqual({ satisfied: true, unmet: [], skipReason: null });
    expect(evaluateRequirements(c, v61).skipReason).toBe('needs kernel >=6.12, this is 6.1.192 (6.1.0-56-amd64) (case requires)');
  });

  it('skips by feature: per-node memory_failure stats exist on 6.12, not 6.1', () => {
    const c = one('    requires: { features: [per-node-memory-failure-stats] }\n');
    expect(evaluateRequirements(c, v612).satisfied).toBe(true);
    expect(evaluateRequirements(c, v61).skipReason).toBe('needs per-node-memory-failure-stats, which 6.1.0-56-amd64 does not have (case requires)');
  });

  it('checks config options, with alternatives and n', () => {
    const c = one('    requires:\n      config: { CONFIG_HWPOISON_INJECT: [y, m], CONFIG_RAS_CEC: n }\n');
    expect(evaluateRequirements(c, v61).satisfied).toBe(true);
    expect(evaluateRequirements(c, v612).skipReason).toBe('needs CONFIG_RAS_CEC=n, the kernel has CONFIG_RAS_CEC=y (case requires)');
  });

  it('checks modules, including those the guest loads', () => {
    const c = one('    guest: { modules: [hwpoison-inject] }\n    requires: { modules: [brd] }\n');
    expect(evaluateRequirements(c, v61).satisfied).toBe(true);
    const missing = one('    requires: { modules: [no_such_module] }\n');
    expect(evaluateRequirements(missing, v612).skipReason).toBe('needs module no_such_module, which this kernel neither builds in nor ships (case requires)');
  });

  it('adds what the steps imply, and lists every unmet requirement', () => {
    const c = one("    requires: { kernel: '>=6.12' }\n", '      - target: { name: t0, kind: anon }\n      - inject: { method: mce-srao, target: t0 }\n');
    const noMce = { ...v612, config: parseKernelConfig('CONFIG_MEMORY_FAILURE=y\n# CONFIG_X86_MCE is not set\n') };
    expect(evaluateRequirements(c, noMce).unmet.map((entry) => entry.reason)).toEqual([
      'needs CONFIG_X86_MCE=y, the kernel has CONFIG_X86_MCE=n (inject method mce-srao)',
      'needs CONFIG_X86_MCE_INTEL=y, the kernel has CONFIG_X86_MCE_INTEL=n (inject method mce-srao)',
    ]);
  });

  it('treats unknown facts as unmet when written, as met when only implied', () => {
    const noConfig = fixtureFacts('6.12.117+deb12-amd64', { config: false, modules: false });
    const implied = one('', '      - target: { name: t0, kind: pagecache-dirty }\n      - inject: { method: debugfs, target: t0 }\n');
    expect(evaluateRequirements(implied, noConfig).satisfied).toBe(true);
    const written = one('    requires: { config: { CONFIG_MEMORY_FAILURE: y }, modules: [brd] }\n');
    expect(evaluateRequirements(written, noConfig).unmet.map((entry) => entry.reason)).toEqual([
      "needs CONFIG_MEMORY_FAILURE=y, but the kernel's .config is unknown (case requires)",
      "needs module brd, but the kernel's module list is unknown (case requires)",
    ]);
  });

  it('cannot tell a patch-level bound without the upstream version', () => {
    const bare = kernelFacts({ release: '6.1.0-56-amd64' });
    const c = one("    requires: { kernel: '>=6.1.150' }\n");
    expect(evaluateRequirements(c, bare).skipReason).toBe('cannot tell whether 6.1.0-56-amd64 is >=6.1.150: its upstream patch level is unknown (case requires)');
    expect(evaluateRequirements(c, v61).satisfied).toBe(true);
  });
});

describe('conditionHolds (when:)', () => {
  it('selects the 6.12 and 6.1 variants of an expectation', () => {
    const [c] = cases(
      "  - id: c\n    title: t\n    steps:\n      - target: { name: t0, kind: anon }\n    expect:\n      - helper: alive\n        when: { kernel: '>=6.12' }\n      - helper: killed\n        when: { kernel: '<6.12', features: [] }\n      - helper: exited\n",
    );
    const holds = (facts: KernelFacts) => c!.expectations.map((e) => conditionHolds(e.when, facts));
    expect(holds(v612)).toEqual([true, false, true]);
    expect(holds(v61)).toEqual([false, true, true]);
  });
});

/** The kernels actually in this machine's cache, when there are any. */
const cachedKernels = (() => {
  const dir = path.join(cacheDir(), 'kernels');
  return existsSync(dir) ? readdirSync(dir).filter((name) => existsSync(path.join(dir, name, 'kernel.json'))).map((name) => path.join(dir, name)) : [];
})();

describe.skipIf(cachedKernels.length === 0)('facts of the cached kernels', () => {
  it.each(cachedKernels)('%s: version from kernel.json agrees with its .config header', async (dir) => {
    const json = JSON.parse(readFileSync(path.join(dir, 'kernel.json'), 'utf8')) as { release: string; configPath: string | null; source: { upstreamVersion?: string } };
    if (!json.configPath) return;
    const config = await readKernelConfig(path.join(dir, json.configPath));
    const fromJson = kernelFacts({ release: json.release, upstreamVersion: json.source.upstreamVersion ?? null, config });
    const fromConfig = kernelFacts({ release: json.release, config });
    expect(fromJson.version).toEqual(fromConfig.version);
    expect(fromJson.version.patch).not.toBeNull();
    expect(evaluateRequirements(one('    requires: { config: { CONFIG_MEMORY_FAILURE: y } }\n'), fromJson).satisfied).toBe(true);
  });
});
