import fs from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { HarnessError } from '../util/errors.ts';
import { isComplete } from '../util/prepared-dir.ts';
import type { PreparedKernel } from './prepared-kernel.ts';

/** Bumped when the layout of a cache entry changes, so old entries are rebuilt, not misread. */
const MANIFEST_SCHEMA = 1;
export const MANIFEST_FILE = 'kernel.json';

export function kernelsDir(cacheDir: string): string {
  return path.join(cacheDir, 'kernels');
}

export function kernelEntryDir(cacheDir: string, id: string): string {
  return path.join(kernelsDir(cacheDir), id);
}

const sourceSchema = z.discriminatedUnion('kind', [
  z.object({
    kind: z.literal('debian'),
    package: z.string(),
    debianVersion: z.string(),
    upstreamVersion: z.string(),
    signed: z.boolean(),
  }),
  z.object({ kind: z.literal('image'), path: z.string(), modulesDir: z.string().nullable() }),
  z.object({ kind: z.literal('build-tree'), path: z.string() }),
]);

const manifestSchema = z.object({
  schema: z.literal(MANIFEST_SCHEMA),
  id: z.string(),
  release: z.string(),
  source: sourceSchema,
  bootImage: z.string(),
  bzImage: z.string().nullable(),
  vmlinux: z.string().nullable(),
  modulesRoot: z.string().nullable(),
  configPath: z.string().nullable(),
  systemMap: z.string().nullable(),
  /** How the entry was made, for `kernels` listings and bug reports; not used to boot. */
  preparedAt: z.string(),
  prepareSeconds: z.number(),
  notes: z.array(z.string()),
});

export type KernelManifest = z.infer<typeof manifestSchema>;

/**
 * Writes kernel.json into the entry being built. Paths inside the entry are stored relative
 * to it, because the entry is built under a temporary name and renamed into place; paths
 * outside (a user's bzImage or build tree) stay absolute.
 */
export async function writeManifest(
  entryWorkDir: string,
  kernel: PreparedKernel,
  extra: { prepareSeconds: number; notes: string[] },
): Promise<void> {
  const rel = (p: string | null | undefined): string | null => {
    if (p === null || p === undefined) return null;
    const relative = path.relative(entryWorkDir, p);
    return relative.startsWith('..') || path.isAbsolute(relative) ? path.resolve(p) : relative === '' ? '.' : relative;
  };
  const manifest: KernelManifest = {
    schema: MANIFEST_SCHEMA,
    id: kernel.id,
    release: kernel.release,
    source: kernel.source,
    bootImage: rel(kernel.bootImage) ?? '',
    bzImage: rel(kernel.bzImage),
    vmlinux: rel(kernel.vmlinux),
    modulesRoot: rel(kernel.modulesRoot),
    configPath: rel(kernel.configPath),
    systemMap: rel(kernel.systemMap),
    preparedAt: new Date().toISOString(),
    prepareSeconds: Math.round(extra.prepareSeconds * 10) / 10,
    notes: extra.notes,
  };
  await fs.writeFile(path.join(entryWorkDir, MANIFEST_FILE), `${JSON.stringify(manifest, null, 2)}\n`);
}

export interface CachedKernel {
  kernel: PreparedKernel;
  manifest: KernelManifest;
  entryDir: string;
}

/** Loads a complete cache entry, or null when there is none (or it is from an older layout). */
export async function readCachedKernel(entryDir: string): Promise<CachedKernel | null> {
  if (!(await isComplete(entryDir))) return null;
  let raw: unknown;
  try {
    raw = JSON.parse(await fs.readFile(path.join(entryDir, MANIFEST_FILE), 'utf8'));
  } catch {
    return null;
  }
  const parsed = manifestSchema.safeParse(raw);
  if (!parsed.success) return null;
  const m = parsed.data;
  const abs = (p: string | null): string | null => (p === null ? null : path.resolve(entryDir, p));
  const kernel: PreparedKernel = {
    id: m.id,
    release: m.release,
    source: m.source,
    bootImage: path.resolve(entryDir, m.bootImage),
    bzImage: abs(m.bzImage),
    vmlinux: abs(m.vmlinux),
    modulesRoot: abs(m.modulesRoot),
    configPath: abs(m.configPath),
    systemMap: abs(m.systemMap),
  };
  return { kernel, manifest: m, entryDir };
}

/** Reads the entry just built (or found) by ensurePreparedDir; it must be there. */
export async function loadPreparedEntry(entryDir: string): Promise<PreparedKernel> {
  const cached = await readCachedKernel(entryDir);
  if (!cached) throw new HarnessError('kernel', `kernel cache entry ${entryDir} is incomplete or unreadable`, {
    hint: `delete ${entryDir} and try again`,
  });
  return cached.kernel;
}

/** Every complete entry under <cacheDir>/kernels, by id. */
export async function listCachedKernels(cacheDir: string): Promise<CachedKernel[]> {
  const dir = kernelsDir(cacheDir);
  const names = await fs.readdir(dir).catch(() => [] as string[]);
  const out: CachedKernel[] = [];
  for (const name of names.sort()) {
    if (name.endsWith('.lock') || name.includes('.tmp-')) continue;
    const cached = await readCachedKernel(path.join(dir, name));
    if (cached) out.push(cached);
  }
  return out;
}

/**
 * Treats an entry whose files have gone (a cleaned /tmp, a moved build tree) as not cached,
 * so it is rebuilt instead of handed to QEMU.
 */
export async function filesPresent(kernel: PreparedKernel): Promise<boolean> {
  const paths = [kernel.bootImage, kernel.modulesRoot].filter((p): p is string => p !== null);
  for (const p of paths) {
    if (!(await fs.stat(p).catch(() => null))) return false;
  }
  return true;
}

/** Bytes used on disk by a directory tree (allocated blocks, not apparent size). */
export async function diskUsage(dir: string): Promise<number> {
  let total = 0;
  const walk = async (d: string): Promise<void> => {
    for (const entry of await fs.readdir(d, { withFileTypes: true }).catch(() => [])) {
      const p = path.join(d, entry.name);
      const stat = await fs.lstat(p).catch(() => null);
      if (!stat) continue;
      total += stat.blocks * 512;
      if (entry.isDirectory()) await walk(p);
    }
  };
  await walk(dir);
  return total;
}
