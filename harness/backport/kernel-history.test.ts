import fs from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { KernelInfo } from '../results/run-result.ts';
import { projectRoot } from '../util/paths.ts';
import { parseCommitReference } from './commit-references.ts';
import { historyFromChangelog, lookUpReference } from './kernel-history.ts';

// The 6.1.140-1, 6.1.139-1 and 6.1.137-1 uploads of linux-support-6.1.0-56's changelog (recorded; see harness/bisect/fixtures/README.md).
const excerpt = () => fs.readFile(path.join(projectRoot, 'harness/bisect/fixtures/changelog-6.1.0-56.excerpt'), 'utf8');

const kernel = (debianVersion: string, upstreamVersion: string): KernelInfo => ({
  id: `debian-test-${debianVersion}`,
  release: '6.1.0-37-amd64',
  debianPackage: 'linux-image-6.1.0-37-amd64-unsigned',
  debianVersion,
  upstreamVersion,
});

const title = (text: string) => parseCommitReference(text)!;

describe('lookUpReference', () => {
  it('finds a stable commit in the upload that brought it, and not in the builds before it', async () => {
    const text = await excerpt();
    const line = text.split('\n').find((entry) => /^ {4}- mm\//.test(entry))!;
    const commit = title(line.replace(/^ {4}- /, ''));
    const newest = historyFromChangelog(kernel('6.1.140-1', '6.1.140'), 'linux-support-6.1.0-56', text);
    const found = lookUpReference(newest, commit);
    expect(found.state).toBe('listed');
    const introducedIn = (found as { version: string }).version;
    const older = text.split('\n').filter((entry) => /^linux \(/.test(entry)).map((entry) => /\(([^)]+)\)/.exec(entry)![1]!);
    const before = older[older.indexOf(introducedIn) + 1];
    if (before) expect(lookUpReference(historyFromChangelog(kernel(before, '6.1.0'), 'linux-support-6.1.0-56', text), commit)).toEqual({ state: 'not-listed' });
  });

  it('matches titles whatever their case and spacing', async () => {
    const history = historyFromChangelog(kernel('6.1.140-1', '6.1.140'), 'linux-support-6.1.0-56', await excerpt());
    expect(lookUpReference(history, title('TRACING: PROBES:  fix a possible race in trace_probe_log APIs')).state).toBe('listed');
    expect(lookUpReference(history, title('mm/hwpoison: a title no changelog has')).state).toBe('not-listed');
  });

  it('answers from the upstream version when the suite names the release', async () => {
    const history = historyFromChangelog(kernel('6.1.140-1', '6.1.140'), 'linux-support-6.1.0-56', await excerpt());
    expect(lookUpReference(history, title('mm/hwpoison: introduce per-memory_block hwpoison counter (upstream 6.2)')).state).toBe('not-listed');
    const newer = { ...history, kernel: { ...history.kernel, release: '6.12.117+deb12-amd64', upstreamVersion: '6.12.117' } };
    expect(lookUpReference(newer, title('mm/hwpoison: introduce per-memory_block hwpoison counter (upstream 6.2)'))).toEqual({ state: 'by-upstream-version', upstream: '6.2' });
  });

  it('says why it cannot answer: no changelog, an upload it lacks, a commit id', async () => {
    const text = await excerpt();
    expect(lookUpReference(historyFromChangelog(kernel('6.1.999-1', '6.1.999'), 'linux-support-6.1.0-56', text), title('mm: anything at all here'))).toEqual({ state: 'unknown', why: "linux-support-6.1.0-56's changelog has no upload 6.1.999-1" });
    const history = historyFromChangelog(kernel('6.1.140-1', '6.1.140'), 'linux-support-6.1.0-56', text);
    expect(lookUpReference(history, title('commit 44b8f8bf2438')).state).toBe('unknown');
  });
});
