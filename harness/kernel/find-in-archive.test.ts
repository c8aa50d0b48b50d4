import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { aptListsUpdatedAt, APT_LISTS_STALE_MS } from '../host/apt-lists.ts';
import { HarnessError } from '../util/errors.ts';
import { findInArchive, NotInArchiveError, type ArchiveAccess, type DebianBuild } from './debian-archive.ts';
import { selectDebianPackage } from './debian-select.ts';
import { parseKernelRef, type DebianKernelRef } from './kernel-ref.ts';

function build(abi: string, debianVersion: string): DebianBuild {
  const info = { package: `linux-image-${abi}-amd64-unsigned`, abi, signed: false, debianVersion, upstreamVersion: debianVersion.replace(/-[^-]*$/, ''), sourcePackage: null, sha256: null, sizeBytes: null };
  return { abi, series: abi.startsWith('6.12') ? '6.12' : '6.1', unsigned: info, signed: null };
}

// What a new machine saw (issue: first hour): bookworm main only, months old, then the archive after an update.
const STALE_LISTS = [build('6.1.0-9', '6.1.27-1')];
const FRESH_LISTS = [build('6.1.0-9', '6.1.27-1'), build('6.1.0-57', '6.1.193-1'), build('6.12.118+deb12', '6.12.118-1~deb12u1')];

/** A fake archive: lists that an update replaces, with every refresh and note recorded. */
function fakeArchive(options: { ageMs: number | null; root: boolean; before: DebianBuild[]; after?: DebianBuild[] }): ArchiveAccess & { refreshes: string[]; notes: string[] } {
  let lists = options.before;
  let refreshed = false;
  const refreshes: string[] = [];
  const notes: string[] = [];
  return {
    refreshes,
    notes,
    progress: { info: (message) => notes.push(message), step: (_label, work) => work() },
    query: async () => lists,
    listsAgeMs: async () => options.ageMs,
    async refresh(why) {
      if (!options.root) throw new HarnessError('prerequisite', 'needs root');
      refreshed = true;
      refreshes.push(why);
      lists = options.after ?? lists;
    },
    canRefresh: () => options.root && !refreshed,
  };
}

const pick = (ref: string) => (builds: DebianBuild[]) => selectDebianPackage(parseKernelRef(ref) as DebianKernelRef, builds).abi;
const HOUR = 3600_000;

describe('findInArchive', () => {
  it('refreshes lists older than a day before looking, once', async () => {
    const archive = fakeArchive({ ageMs: 90 * 24 * HOUR, root: true, before: STALE_LISTS, after: FRESH_LISTS });
    expect(await findInArchive(pick('latest-6.12'), archive)).toBe('6.12.118+deb12');
    expect(archive.refreshes).toEqual(['the package lists are 90 days old']);
  });

  it('refreshes fresh-looking lists that lack the series asked for, then finds it', async () => {
    const archive = fakeArchive({ ageMs: 2 * HOUR, root: true, before: STALE_LISTS, after: FRESH_LISTS });
    expect(await findInArchive(pick('latest-6.12'), archive)).toBe('6.12.118+deb12');
    expect(archive.refreshes).toHaveLength(1);
    expect(archive.refreshes[0]).toMatch(/^no Debian build for latest-6\.12: the archive offers no 6\.12 kernels.* in the package lists$/);
  });

  it('does not refresh fresh lists that hold what was asked', async () => {
    const archive = fakeArchive({ ageMs: 2 * HOUR, root: true, before: FRESH_LISTS });
    expect(await findInArchive(pick('6.1.0-57'), archive)).toBe('6.1.0-57');
    expect(archive.refreshes).toEqual([]);
  });

  it('refreshes at most once: a build missing after the update is an error naming what the archive has', async () => {
    const archive = fakeArchive({ ageMs: 30 * 24 * HOUR, root: true, before: STALE_LISTS, after: FRESH_LISTS });
    await expect(findInArchive(pick('6.1.0-99'), archive)).rejects.toThrow(/no Debian build 6\.1\.0-99; the archive offers 6\.1\.0-9 … 6\.1\.0-57/);
    expect(archive.refreshes).toHaveLength(1);
  });

  it('not root: stale lists are a note, a missing build an error that names apt-get update', async () => {
    const archive = fakeArchive({ ageMs: 90 * 24 * HOUR, root: false, before: STALE_LISTS });
    const error = await findInArchive(pick('latest-6.12'), archive).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NotInArchiveError);
    expect((error as HarnessError).details.hint).toMatch(/sudo apt-get update/);
    expect(archive.notes.join('\n')).toMatch(/package lists are 90 days old.*sudo apt-get update/);
    expect(archive.refreshes).toEqual([]);
  });

  it('lists without a single kernel: refreshed as root, an error naming the command otherwise', async () => {
    const root = fakeArchive({ ageMs: HOUR, root: true, before: [], after: FRESH_LISTS });
    expect(await findInArchive(pick('latest-6.1'), root)).toBe('6.1.0-57');
    expect(root.refreshes).toEqual(['the package lists hold no kernels']);
    const user = fakeArchive({ ageMs: HOUR, root: false, before: [] });
    await expect(findInArchive(pick('latest-6.1'), user)).rejects.toThrow(/apt knows no linux-image packages/);
  });

  it('passes other errors through without refreshing', async () => {
    const archive = fakeArchive({ ageMs: HOUR, root: true, before: FRESH_LISTS });
    const bad = () => {
      throw new HarnessError('usage', 'the same build twice');
    };
    await expect(findInArchive(bad, archive)).rejects.toThrow('the same build twice');
    expect(archive.refreshes).toEqual([]);
  });
});

describe('aptListsUpdatedAt', () => {
  it('takes the newest of the list files, the directory and the stamp; null without lists', async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'memharness-apt-lists-'));
    try {
      const lists = path.join(dir, 'lists');
      await fs.mkdir(lists);
      expect(await aptListsUpdatedAt(lists, path.join(dir, 'stamp'))).toBeNull();
      const release = path.join(lists, 'deb.debian.org_debian_dists_bookworm_InRelease');
      await fs.writeFile(release, '');
      const old = new Date(Math.floor((Date.now() - 100 * 24 * HOUR) / 1000) * 1000);
      // A list file's mtime is the archive's Last-Modified: months old right after an update.
      await fs.utimes(release, old, old);
      await fs.utimes(lists, old, old);
      expect((await aptListsUpdatedAt(lists, path.join(dir, 'stamp')))!.getTime()).toBe(old.getTime());
      await fs.writeFile(path.join(dir, 'stamp'), '');
      expect(Date.now() - (await aptListsUpdatedAt(lists, path.join(dir, 'stamp')))!.getTime()).toBeLessThan(APT_LISTS_STALE_MS);
    } finally {
      await fs.rm(dir, { recursive: true, force: true });
    }
  });
});
