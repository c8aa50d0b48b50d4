import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { HarnessError } from '../util/errors.ts';
import { BASE_MODULES, OPTIONAL_BASE_MODULES, imageModuleNames } from './base-modules.ts';
import { resolveModuleClosure } from './module-closure.ts';
import { parseModulesBuiltin, parseModulesDep, type ModuleIndex } from './module-index.ts';

const FIXTURES = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures');
const K612 = '6.12.117+deb12-amd64';
const K61 = '6.1.0-56-amd64';

/** Index over the excerpts recorded from the real kernels (see fixtures/README.md). */
function fixtureIndex(release: string): ModuleIndex {
  const dir = path.join(FIXTURES, release);
  return {
    release,
    directory: dir,
    modules: parseModulesDep(fs.readFileSync(path.join(dir, 'modules.dep'), 'utf8')),
    builtin: parseModulesBuiltin(fs.readFileSync(path.join(dir, 'modules.builtin'), 'utf8')),
  };
}

function catchError(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  throw new Error('expected an error');
}

describe('module closure on the real 6.12.117 metadata', () => {
  const index = fixtureIndex(K612);

  it('needs only the net and rng modules for the base set: virtio_pci is built in', () => {
    const closure = resolveModuleClosure(index, imageModuleNames(['brd']), OPTIONAL_BASE_MODULES);
    expect(closure.builtin).toEqual(['virtio_pci']);
    expect(closure.loadable).toEqual(['brd', 'failover', 'hwpoison_inject', 'net_failover', 'virtio_net', 'virtio_rng']);
    expect(closure.files).toEqual([
      'kernel/drivers/block/brd.ko',
      'kernel/drivers/char/hw_random/virtio-rng.ko',
      'kernel/drivers/net/net_failover.ko',
      'kernel/drivers/net/virtio_net.ko',
      'kernel/mm/hwpoison-inject.ko',
      'kernel/net/core/failover.ko',
    ]);
    expect(closure.missing).toEqual([]);
  });

  it('follows dependencies and treats - and _ alike', () => {
    const closure = resolveModuleClosure(index, ['nd-pmem', 'dax_pmem']);
    expect(closure.loadable).toEqual(['dax_pmem', 'libnvdimm', 'nd_btt', 'nd_pmem']);
  });

  it('reports built-in modules instead of copying them', () => {
    const closure = resolveModuleClosure(index, ['dax', 'virtio', 'virtio_mem']);
    expect(closure.builtin).toEqual(['dax', 'virtio']);
    expect(closure.files).toEqual(['kernel/drivers/virtio/virtio_mem.ko']);
  });

  it('fails with an image error naming module and kernel when a module exists neither way', () => {
    const error = catchError(() => resolveModuleClosure(index, ['brd', 'no_such_module']));
    expect(error).toBeInstanceOf(HarnessError);
    expect((error as HarnessError).kind).toBe('image');
    expect((error as HarnessError).message).toContain('no_such_module');
    expect((error as HarnessError).message).toContain(K612);
  });

  it('collects optional modules the kernel lacks instead of failing', () => {
    const closure = resolveModuleClosure(index, ['hwpoison_inject', 'no_such_rng'], new Set(['no_such_rng']));
    expect(closure.missing).toEqual(['no_such_rng']);
    expect(closure.loadable).toEqual(['hwpoison_inject']);
  });

  it('refuses a modules.dep that names a dependency it does not describe', () => {
    // virtio_vdpa depends on vdpa, which lies outside the recorded excerpt.
    const error = catchError(() => resolveModuleClosure(index, ['virtio_vdpa']));
    expect(error).toBeInstanceOf(HarnessError);
    expect((error as HarnessError).message).toContain('vdpa');
  });
});

describe('module closure on the real 6.1.0-56 metadata', () => {
  const index = fixtureIndex(K61);

  it('includes the modular virtio_pci stack', () => {
    const closure = resolveModuleClosure(index, imageModuleNames([]), OPTIONAL_BASE_MODULES);
    expect(closure.builtin).toEqual([]);
    expect(closure.loadable).toEqual([
      'failover',
      'hwpoison_inject',
      'net_failover',
      'virtio',
      'virtio_net',
      'virtio_pci',
      'virtio_pci_legacy_dev',
      'virtio_pci_modern_dev',
      'virtio_ring',
      'virtio_rng',
    ]);
  });

  it('gives virtio_mem its virtio dependencies', () => {
    expect(resolveModuleClosure(index, ['virtio_mem']).loadable).toEqual(['virtio', 'virtio_mem', 'virtio_ring']);
  });

  it('names the 6.1 release in the missing-module error', () => {
    const error = catchError(() => resolveModuleClosure(index, ['virtio_nope']));
    expect((error as HarnessError).kind).toBe('image');
    expect((error as HarnessError).message).toMatch(/"virtio_nope".*6\.1\.0-56-amd64/);
  });
});

describe('module metadata parsing', () => {
  it('parses modules.dep lines with and without dependencies, skipping blanks', () => {
    const modules = parseModulesDep('kernel/a/x-y.ko: kernel/b/z.ko.xz\n\nkernel/b/z.ko.xz:\n');
    expect(modules.get('x_y')).toEqual({ name: 'x_y', path: 'kernel/a/x-y.ko', dependencies: ['kernel/b/z.ko.xz'] });
    expect(modules.get('z')?.dependencies).toEqual([]);
  });

  it('knows every base module on both kernels', () => {
    for (const release of [K612, K61]) {
      const index = fixtureIndex(release);
      for (const name of BASE_MODULES) expect(index.modules.has(name) || index.builtin.has(name)).toBe(true);
    }
  });
});
