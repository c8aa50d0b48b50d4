import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { silentProgress } from '../util/progress.ts';
import { parseDebianChangelog } from './changelog.ts';
import { changelogCacheFile, fetchChangelog } from './changelog-source.ts';
import type { BisectState } from './bisect-state.ts';
import { changesBetween, concernsAmd64, filterEntries } from './changes-between.ts';
import { summariseChanges } from './changes-summary.ts';
import { DEFAULT_KEYWORDS, matchingKeywords } from './keywords.ts';

// Recorded from the real packages by fixtures/record-changelogs.sh (see fixtures/README.md).
const fixture = (name: string) => fs.readFile(path.join(import.meta.dirname, 'fixtures', name), 'utf8');

describe('parseDebianChangelog', () => {
  it('reads versions with their distribution, trailer, and every entry', async () => {
    const versions = parseDebianChangelog(await fixture('changelog-6.1.0-56.excerpt'));
    expect(versions.map((v) => [v.source, v.version, v.distribution, v.entries.length])).toEqual([
      ['linux', '6.1.140-1', 'bookworm-security', 88],
      ['linux', '6.1.139-1', 'bookworm-security', 171],
      ['linux', '6.1.137-1', 'bookworm', 117],
    ]);
    expect(versions[0]).toMatchObject({ maintainer: 'Salvatore Bonaccorso <carnil@debian.org>', date: 'Thu, 22 May 2025 20:32:07 +0200', line: 1 });
    const entries = versions.flatMap((v) => v.entries);
    // 356 "    - " commit lines and 13 "      + " series lines; 7 Debian items besides the three "New upstream" headings.
    expect(entries.filter((e) => e.kind === 'upstream')).toHaveLength(369);
    expect(entries.filter((e) => e.kind === 'debian').map((e) => e.title)).toContain('Bump ABI to 37');
    expect(entries.filter((e) => e.kind === 'debian')).toHaveLength(7);
  });

  it('joins continuation lines, and keeps the upstream ChangeLog group and the [ author ] section', async () => {
    const entries = parseDebianChangelog(await fixture('changelog-6.1.0-56.excerpt')).flatMap((v) => v.entries);
    expect(entries.find((e) => e.title.startsWith('hwpoison'))).toEqual({
      title: 'hwpoison, memory_hotplug: lock folio before unmap hwpoisoned folio (CVE-2025-21931)',
      level: 2,
      kind: 'upstream',
      upstreamLog: 'https://www.kernel.org/pub/linux/kernel/v6.x/ChangeLog-6.1.140',
      author: null,
      line: 92,
    });
    expect(entries.find((e) => e.title.startsWith('d/b/test-patches'))).toMatchObject({
      title: 'd/b/test-patches: Handle kernel release strings without ABI number. This is a backport from 6.10.1-1_exp1 to enable building bookworm kernels on trixie and newer.',
      level: 1,
      kind: 'debian',
      author: 'Uwe Kleine-König',
    });
    // A series and its commits, listed under the second ChangeLog URL of 6.1.139-1.
    const series = entries.find((e) => e.title.startsWith('[amd64] Mitigations Indirect Target Selection'))!;
    expect(series).toMatchObject({ level: 2, upstreamLog: 'https://www.kernel.org/pub/linux/kernel/v6.x/ChangeLog-6.1.139' });
    expect(entries.find((e) => e.title === 'x86/its: FineIBT-paranoid vs ITS')).toMatchObject({ level: 3, kind: 'upstream', line: 303 });
  });
});

describe('changesBetween', () => {
  it('is the blocks from the newer version down to the older one, by position', async () => {
    const changelog = parseDebianChangelog(await fixture('changelog-6.1.0-56.excerpt'));
    const changes = changesBetween(changelog, '6.1.140-1', '6.1.137-1')!;
    expect(changes.versions).toEqual(['6.1.140-1', '6.1.139-1']);
    expect(changes.entries).toHaveLength(88 + 171);
    expect(changes.entries[0]).toMatchObject({ version: '6.1.140-1', title: 'binfmt: Fix whitespace issues' });
    expect(changes.note).toBeNull();
    expect(changesBetween(changelog, '6.1.999-1', '6.1.137-1')).toBeNull();
  });

  it('takes the trixie uploads a bookworm rebuild contains, though they sort after it', async () => {
    const changelog = parseDebianChangelog(await fixture('changelog-6.12.117.excerpt'));
    const changes = changesBetween(changelog, '6.12.117-1~deb12u1', '6.12.115-2~deb12u1')!;
    expect(changes.versions).toEqual(['6.12.117-1~deb12u1', '6.12.116-1']);
    expect(changes.entries.map((e) => e.title)).toEqual([
      'Rebuild for bookworm',
      'xen-netback: Fix UAF when reading statistics data (CVE-2026-100080)',
      'xen-netback: defer xenvif_mcast_addr_list_free() (CVE-2026-100081)',
      'xen-blkback: Avoid UAF when reading I/O statistics (CVE-2026-100082)',
      'ALSA: usb-audio: Use the right limit for PCM OOB check (Closes: #1152888)',
    ]);
  });

  it('falls back to the uploads of the same upstream version when the older build is another series', async () => {
    const changelog = parseDebianChangelog(await fixture('changelog-6.12.117.excerpt'));
    const changes = changesBetween(changelog, '6.12.115-2~deb12u1', '6.1.192-2')!;
    expect(changes.versions).toEqual(['6.12.115-2~deb12u1', '6.12.115-2']);
    expect(changes.note).toMatch(/6\.1\.192-2 is not in this changelog/);
  });
});

describe('keywords', () => {
  it('match at the start of a word, ignoring case, - and _', () => {
    expect(matchingKeywords('hwpoison, memory_hotplug: lock folio before unmap hwpoisoned folio', DEFAULT_KEYWORDS)).toEqual(['hwpoison', 'hotplug']);
    expect(matchingKeywords('mm/memory-failure: fix missing ->mf_stats count in hugetlb poison', DEFAULT_KEYWORDS)).toEqual(['memory-failure', 'poison', 'hugetlb', 'mm/']);
    expect(matchingKeywords('mm: memory_failure: fix soft_offline_page() race', DEFAULT_KEYWORDS)).toEqual(['memory-failure', 'soft offline', 'mm:']);
    expect(matchingKeywords('drm/amdgpu: fix pm notifier handling', DEFAULT_KEYWORDS)).toEqual([]);
    expect(matchingKeywords('x86/mce: use the right severity', DEFAULT_KEYWORDS)).toEqual(['mce']);
    expect(matchingKeywords('drm/i915: commence the thing', ['mce'])).toEqual([]);
  });

  it('filter the real changelog down to the memory entries', async () => {
    const entries = parseDebianChangelog(await fixture('changelog-6.1.0-56.excerpt')).flatMap((v) => v.entries);
    const hits = filterEntries(entries, DEFAULT_KEYWORDS).map(({ entry, keywords }) => `${entry.title} [${keywords.join(',')}]`);
    expect(hits).toEqual([
      'mm/vmscan: fix a bug calling wakeup_kswapd() with a wrong zone index [mm/]',
      'hwpoison, memory_hotplug: lock folio before unmap hwpoisoned folio (CVE-2025-21931) [hwpoison,hotplug]',
      '[x86] platform/x86/intel-uncore-freq: Fix missing uncore sysfs during CPU hotplug [hotplug]',
      '[x86] mm: Eliminate window where TLB flushes may be inadvertently skipped [mm:]',
    ]);
    // --keyword replaces the list: binfmt and binfmt_elf both start with the word.
    expect(filterEntries(entries, ['binfmt'])).toHaveLength(7);
  });
});

describe('fetchChangelog', () => {
  it('unpacks linux-support-<abi>, caches the changelog, and tries newer builds when one lacks the version', async () => {
    const cacheDir = await fs.mkdtemp(path.join(os.tmpdir(), 'memharness-changelog-test-'));
    try {
      const text = await fixture('changelog-6.12.117.excerpt');
      const fetched: string[] = [];
      const fetcher = async (pkg: string, dir: string) => {
        fetched.push(pkg);
        if (pkg === 'linux-support-6.12.113+deb12') throw new Error('E: Unable to locate package');
        const docDir = path.join(dir, 'root', 'usr', 'share', 'doc', pkg);
        await fs.mkdir(docDir, { recursive: true });
        await fs.writeFile(path.join(docDir, 'changelog.Debian.gz'), gzipSync(text));
      };
      const options = { cacheDir, progress: silentProgress, fetcher, available: async (pkg: string) => pkg !== 'linux-support-6.12.100+deb12' };
      const first = await fetchChangelog(['6.12.100+deb12', '6.12.113+deb12', '6.12.117+deb12'], '6.12.116-1', options);
      expect(first).toMatchObject({ package: 'linux-support-6.12.117+deb12', text, file: changelogCacheFile(cacheDir, '6.12.117+deb12') });
      expect(fetched).toEqual(['linux-support-6.12.113+deb12', 'linux-support-6.12.117+deb12']);
      // Cached: no second download.
      await fetchChangelog(['6.12.117+deb12'], '6.12.116-1', options);
      expect(fetched).toHaveLength(2);
      expect(await fetchChangelog(['6.12.117+deb12'], '6.12.100-1', options)).toEqual({ errors: ['linux-support-6.12.117+deb12: its changelog has no entry for 6.12.100-1'] });
    } finally {
      await fs.rm(cacheDir, { recursive: true, force: true });
    }
  });
});

describe('summariseChanges', () => {
  it('takes the first bad build\'s changelog from the cache, leaves other architectures out, and filters', async () => {
    const cacheDir = await fs.mkdtemp(path.join(os.tmpdir(), 'memharness-changelog-test-'));
    try {
      // 6.1.0-37 is 6.1.140-1 ("Bump ABI to 37" in its changelog block), 6.1.0-36 is 6.1.139-1.
      await fs.mkdir(path.dirname(changelogCacheFile(cacheDir, '6.1.0-37')), { recursive: true });
      await fs.writeFile(changelogCacheFile(cacheDir, '6.1.0-37'), await fixture('changelog-6.1.0-56.excerpt'));
      const candidate = (abi: string, debianVersion: string) => ({ abi, package: `linux-image-${abi}-amd64`, debianVersion, upstreamVersion: debianVersion.replace(/-.*$/, '') });
      const state = {
        candidates: [candidate('6.1.0-36', '6.1.139-1'), candidate('6.1.0-37', '6.1.140-1')],
        result: { lastOld: '6.1.0-36', firstNew: '6.1.0-37', suspects: ['6.1.0-37'] },
      } as unknown as BisectState;
      const never = async () => {
        throw new Error('must come from the cache');
      };
      const summary = (await summariseChanges(state, DEFAULT_KEYWORDS, { cacheDir, progress: silentProgress, fetcher: never }))!;
      expect(summary).toMatchObject({ package: 'linux-support-6.1.0-37', versions: ['6.1.140-1'], total: 88, otherArch: 9, note: null, error: null });
      expect(summary.matching.map((line) => line.title)).toEqual([
        'mm/vmscan: fix a bug calling wakeup_kswapd() with a wrong zone index',
        'hwpoison, memory_hotplug: lock folio before unmap hwpoisoned folio (CVE-2025-21931)',
      ]);
    } finally {
      await fs.rm(cacheDir, { recursive: true, force: true });
    }
  });

  it('knows which tagged entries concern amd64', () => {
    expect(['[amd64] x', '[x86] y', '[amd64,arm64] z', 'mm: untagged'].map(concernsAmd64)).toEqual([true, true, true, true]);
    expect(['[arm64] x', '[arm64,armhf] y', '[s390x] z', '[rt] w'].map(concernsAmd64)).toEqual([false, false, false, false]);
  });
});
