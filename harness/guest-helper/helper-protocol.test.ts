import { spawn } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HELPER_SOURCE_DIR } from '../image/helper-part.ts';
import type { ConversationEnd, GuestConversation, GuestSsh } from '../ssh/guest-ssh.ts';
import { z } from 'zod';
import { replySchema, spinReplySchema, targetReplySchema, type HelperEvent } from './helper-messages.ts';
import { HelperError, HelperSession } from './helper-session.ts';

// The C helper compiled on the host (same flags as the image build) and driven through the
// real HelperSession, with a local process standing in for the SSH channel. Only what is safe
// on a developer's machine runs here: no MADV_HWPOISON / MADV_SOFT_OFFLINE, no sysfs writes.
// SIGBUS comes from a file mapping past EOF (BUS_ADRERR) and from kill(2) (SI_USER); the real
// memory-failure paths are covered by helper-session.guest.test.ts.

const hasGcc = await execa('gcc', ['--version'], { reject: false }).then(
  (result) => result.exitCode === 0,
  () => false,
);
const isRoot = process.getuid?.() === 0;
const pfnsSchema = z.array(z.string());

/** The spec's fill pattern, computed independently of the C code. */
function patternByte(offset: number, seed: number): number {
  return Number(((BigInt(offset) * 2654435761n + BigInt(seed) * 40503n) >> 7n) & 0xffn);
}

let dir: string;
let binary: string;

/** A GuestSsh whose conversations are local processes of the host-built helper. */
function localSsh(): GuestSsh {
  const converse = async (command: string, onData: (chunk: Buffer) => void): Promise<GuestConversation> => {
    const args = command.replace(/^exec\s+/, '').split(/\s+/).slice(1);
    const child = spawn(binary, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    let stderr = '';
    child.stdout.on('data', onData);
    child.stderr.on('data', (data: Buffer) => {
      stderr += data.toString('utf8');
    });
    const closed = new Promise<ConversationEnd>((resolve) =>
      child.on('close', (code, signal) => resolve({ exitCode: code, signal: signal ? signal.replace(/^SIG/, '') : null, stderr })),
    );
    return { write: (text) => void child.stdin.write(text), stop: () => void child.kill('SIGKILL'), closed };
  };
  return { converse } as unknown as GuestSsh;
}

/** A CPU this process may run on (a container's cpuset need not include CPU 0). */
async function allowedCpu(): Promise<number> {
  const status = await fs.readFile('/proc/self/status', 'utf8');
  return Number(/^Cpus_allowed_list:\s*(\d+)/m.exec(status)?.[1] ?? 0);
}

async function oneShot(...args: string[]) {
  const result = await execa(binary, args, { reject: false });
  const lines = result.stdout.split('\n').filter((line) => line !== '');
  return { exitCode: result.exitCode, lines: lines.map((line) => JSON.parse(line) as Record<string, unknown>) };
}

describe.skipIf(!hasGcc)('memharness-helper built on the host', () => {
  beforeAll(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'mh-helper-test-'));
    binary = path.join(dir, 'memharness-helper');
    const sources = (await fs.readdir(HELPER_SOURCE_DIR)).filter((name) => name.endsWith('.c'));
    await execa('gcc', ['-static', '-O2', '-Wall', '-Wextra', '-Werror', '-o', binary, ...sources], { cwd: HELPER_SOURCE_DIR });
  }, 120_000);
  afterAll(async () => {
    if (dir) await fs.rm(dir, { recursive: true, force: true });
  });

  it('answers one-shot verbs with one id-0 line and exit status 0, 1 or 2', async () => {
    const version = await oneShot('version');
    expect(version.exitCode).toBe(0);
    expect(version.lines).toEqual([expect.objectContaining({ id: 0, ok: true, event: 'version', protocol: 2 })]);
    expect(version.lines[0]?.commands).toEqual(expect.arrayContaining(['alloc', 'madvise', 'write-file', 'free-pages', 'quit']));

    expect((await oneShot()).exitCode).toBe(2);
    expect((await oneShot('no-such-verb')).exitCode).toBe(2);
    expect((await oneShot('alloc', 'x', 'anon')).exitCode).toBe(2);
    expect((await oneShot('alloc', 'x', 'anon', '0')).exitCode).toBe(2);
    const missing = await oneShot('verify', 'x', '1');
    expect(missing.exitCode).toBe(1);
    expect(missing.lines[0]).toMatchObject({ id: 0, ok: false, error: expect.stringContaining('serve') });

    const alloc = await oneShot('alloc', 'x', 'anon', '2');
    expect(alloc.exitCode).toBe(0);
    expect(targetReplySchema.parse(alloc.lines[0]).target.pages).toHaveLength(2);

    const file = path.join(dir, 'written');
    await fs.writeFile(file, 'old contents');
    const written = await oneShot('write-file', file, 'new');
    expect(written).toEqual({ exitCode: 0, lines: [{ id: 0, ok: true, ret: 3 }] });
    // One write of exactly VALUE at offset 0: no newline, no truncation.
    expect(await fs.readFile(file, 'utf8')).toBe('new contents');
    const noFile = await oneShot('write-file', path.join(dir, 'absent', 'file'), '1');
    expect(noFile.exitCode).toBe(1);
    expect(noFile.lines[0]).toMatchObject({ ok: false, ret: -1, errno: 2, errnoName: 'ENOENT' });
    const isDir = await oneShot('write-file', dir, '1');
    expect(isDir.lines[0]).toMatchObject({ ok: false, errnoName: 'EISDIR' });
  });

  it('holds targets across a session, fills and verifies the spec pattern', async () => {
    const helper = await HelperSession.start(localSsh());
    try {
      expect(helper.pid).toBeGreaterThan(0);
      for (const kind of ['anon', 'anon-shared', 'shmem', 'mlocked'] as const) {
        const target = await helper.alloc(kind, kind, 3);
        expect(target).toMatchObject({ name: kind, kind, pageSize: 4096, length: 3 * 4096 });
        expect(target.pages.map((page) => page.index)).toEqual([0, 1, 2]);
        for (const page of target.pages) {
          if (isRoot) expect(page.pfn).toMatch(/^0x[0-9a-f]+$/);
          expect(BigInt(page.vaddr) - BigInt(target.vaddr)).toBe(BigInt(page.index * 4096));
        }
        expect(await helper.verify(kind, 0)).toMatchObject({ ok: true, intact: true, firstMismatch: null, sigbus: null });
      }
      const thp = await helper.alloc('thp', 'thp', 1);
      expect(BigInt(thp.vaddr) % BigInt(2 << 20)).toBe(0n);
      expect(thp.pageSize).toBe(2 << 20);

      // Pattern and first-mismatch offset agree with an independent implementation.
      await helper.fill('anon', 5);
      let expected = 0;
      while (patternByte(expected, 5) === patternByte(expected, 6)) expected++;
      expect(await helper.verify('anon', 6)).toMatchObject({ intact: false, firstMismatch: expected, sigbus: null });
      expect(await helper.verify('anon', 5)).toMatchObject({ intact: true, firstMismatch: null });

      const dirty = path.join(dir, 'dirty.data');
      const fileTarget = await helper.alloc('dirty', 'file-dirty', 2, dirty);
      expect(fileTarget.pages).toHaveLength(2);
      await helper.fill('dirty', 77);
      expect(await helper.msync('dirty')).toMatchObject({ ok: true, ret: 0, sigbus: null });
      expect(await helper.fsync('dirty')).toMatchObject({ ok: true, ret: 0 });
      const bytes = await fs.readFile(dirty);
      expect(bytes.length).toBe(8192);
      const wrong = bytes.findIndex((byte, offset) => byte !== patternByte(offset, 77));
      expect(wrong).toBe(-1);

      const clean = path.join(dir, 'clean.data');
      await helper.alloc('clean', 'file-clean', 2, clean);
      await helper.fill('clean', 9);
      expect(await helper.verify('clean', 9)).toMatchObject({ intact: true });
      const cleanBytes = await fs.readFile(clean);
      expect(cleanBytes.findIndex((byte, offset) => byte !== patternByte(offset, 9))).toBe(-1);

      // A file mapping past EOF: the SIGBUS of a guarded access is part of the reply.
      await fs.truncate(dirty, 4096);
      const second = BigInt(fileTarget.vaddr) + 4096n;
      const access = await helper.access('dirty', 1, 'read');
      expect(access).toEqual({ id: expect.any(Number), ok: true, outcome: 'sigbus', sigbus: { code: 2, codeName: 'BUS_ADRERR', addr: `0x${second.toString(16)}`, lsb: 0 } });
      expect(await helper.access('dirty', 0, 'write')).toMatchObject({ outcome: 'ok', sigbus: null });
      const verify = await helper.verify('dirty', 77);
      expect(verify).toMatchObject({ ok: true, intact: false, firstMismatch: null, sigbus: { code: 2 }, sigbusOffset: 4096 });
      await expect(helper.fill('dirty', 1)).rejects.toThrow(/SIGBUS/);

      expect(await helper.setMceKill('early')).toMatchObject({ ok: true, policy: 'early' });
      expect(await helper.setMceKill('late')).toMatchObject({ policy: 'late' });
      expect(await helper.setMceKill('default')).toMatchObject({ policy: 'default' });

      // Failures that still satisfy the syscall schema (ret is always there).
      expect(await helper.fsync('anon')).toMatchObject({ ok: false, ret: -1 });
      expect(await helper.request(replySchema, ['madvise', 'anon', 0, 'bogus'])).toMatchObject({ ok: false, ret: -1 });
      expect(await helper.request(replySchema, ['madvise', 'anon', 3, 'hwpoison'])).toMatchObject({ ok: false, ret: -1 });
      expect(await helper.request(replySchema, ['access', 'anon', 3, 'read'])).toMatchObject({ ok: false });
      expect(await helper.request(replySchema, ['access', 'anon', 0, 'sideways'])).toMatchObject({ ok: false });
      expect(await helper.request(replySchema, ['alloc', 'anon', 'anon', 1])).toMatchObject({ ok: false, errnoName: 'EEXIST' });
      expect(await helper.request(replySchema, ['alloc', 'f', 'file-dirty', 1, 'relative/path'])).toMatchObject({ ok: false });
      expect(await helper.request(replySchema, ['alloc', 'big', 'anon', 100_000])).toMatchObject({ ok: false });
      expect(await helper.request(replySchema, ['fill', 'anon', -1])).toMatchObject({ ok: false });
      expect(await helper.request(replySchema, ['fill', 'anon', '0x1ffffffff'])).toMatchObject({ ok: false });
      expect(await helper.request(replySchema, ['kpageflags', '12abc'])).toMatchObject({ ok: false });

      const hugetlb = await helper.request(replySchema, ['alloc', 'huge', 'hugetlb', 1]);
      if (!hugetlb.ok) expect(hugetlb).toMatchObject({ errnoName: 'ENOMEM', error: expect.stringContaining('nr_hugepages') });

      if (isRoot) {
        const free = await helper.freePages(4, 0x20000n);
        expect(new Set(free).size).toBe(4);
        for (const pfn of free) expect(pfn).toBeGreaterThanOrEqual(0x20000n);
        // Any running kernel holds slab pages; each one found carries the slab bit.
        const slab = await helper.slabPages(2);
        expect(new Set(slab).size).toBe(2);
        const slabFlags = await helper.requestOk(replySchema, ['kpageflags', ...slab.map((pfn) => `0x${pfn.toString(16)}`)]);
        for (const page of slabFlags.pages as { names: string[] }[]) expect(page.names).toContain('slab');
        expect(await helper.request(replySchema, ['slab-pages', '0'])).toMatchObject({ ok: false });
        const flags = await helper.requestOk(replySchema, ['kpageflags', '0x0', '16']);
        expect(flags.pages).toEqual([
          expect.objectContaining({ pfn: '0x0', flags: expect.stringMatching(/^0x/), names: expect.any(Array) }),
          expect.objectContaining({ pfn: '0x10' }),
        ]);
        expect(await helper.request(replySchema, ['kpageflags', '0xffffffffffff'])).toMatchObject({ ok: false, errnoName: 'ENXIO' });
      }

      await helper.release('anon');
      await expect(helper.release('anon')).rejects.toThrow(HelperError);
      await helper.release('clean');
      await expect(fs.stat(clean)).rejects.toThrow();
    } finally {
      await helper.close();
    }
    // quit releases everything alloc made, files included.
    await expect(fs.stat(path.join(dir, 'dirty.data'))).rejects.toThrow();
  });

  it("alloc's hugetlb options (size=, shared, nofault) and free-hugepages SIZE_KB: refused where they do not apply, used where the host has a pool", async () => {
    // Words the helper refuses before mapping anything (exit 2, usage).
    for (const words of [
      ['alloc', 'x', 'anon', '1', 'shared'],
      ['alloc', 'x', 'thp', '1', 'nofault'],
      ['alloc', 'x', 'hugetlb', '1', 'size=4M'],
      ['alloc', 'x', 'hugetlb', '1', '/tmp/x'],
      ['alloc', 'x', 'hugetlb', '1', 'shared', 'shared', 'nofault', 'size=2M', 'extra'],
      ['alloc', 'x', 'file-dirty', '1', 'relative'],
      ['alloc', 'x', 'file-dirty', '1', path.join(dir, 'f'), 'shared'],
      ['free-hugepages', '1', '4096'],
      ['free-hugepages', '1', '2048', '9'],
    ]) {
      const refused = await oneShot(...words);
      expect(refused.exitCode, words.join(' ')).toBe(2);
      expect(refused.lines[0], words.join(' ')).toMatchObject({ ok: false, error: expect.any(String) });
    }
    expect((await oneShot('alloc', 'x', 'anon', '1', 'shared')).lines[0]?.error).toBe("anon takes no option 'shared' (size=, shared and nofault are hugetlb's)");
    expect((await oneShot('alloc', 'x', 'file-dirty', '1', 'relative')).lines[0]?.error).toBe("file-dirty needs an absolute PATH for its file, not 'relative'");

    const helper = await HelperSession.start(localSsh());
    try {
      // The old forms still work as they did (COUNT, PATH, nothing after).
      expect(await helper.alloc('plain', 'anon', 1)).toMatchObject({ kind: 'anon', pageSize: 4096 });
      expect((await helper.alloc('file', 'file-dirty', 1, path.join(dir, 'opts.data'))).pages).toHaveLength(1);
      // A pool this host may or may not have: without one, mmap's ENOMEM names the pool's file.
      for (const options of [['shared', 'nofault'], ['nofault'], ['shared']]) {
        const name = `h-${options.join('-')}`;
        const reply = await helper.request(targetReplySchema.or(replySchema), ['alloc', name, 'hugetlb', 1, ...options]);
        if (!reply.ok) {
          expect(reply, options.join(' ')).toMatchObject({ errnoName: 'ENOMEM', error: expect.stringContaining('/sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages') });
          continue;
        }
        const target = targetReplySchema.parse(reply).target;
        expect(target, options.join(' ')).toMatchObject({ kind: 'hugetlb', pageSize: 2 << 20, shared: options.includes('shared') });
        const page = (reply as unknown as { target: { pages: Array<{ present: boolean; pfn: string | null }> } }).target.pages[0]!;
        // nofault: mapped and reserved, never touched, so no page yet.
        if (options.includes('nofault')) expect(page, options.join(' ')).toMatchObject({ present: false, pfn: null });
        else expect(page.present, options.join(' ')).toBe(true);
        await helper.fill(name, 3);
        expect((await helper.pages(name)).pages[0]?.present, options.join(' ')).toBe(true);
        expect(await helper.verify(name, 3)).toMatchObject({ intact: true });
        await helper.release(name);
      }
      const gigantic = await helper.request(replySchema, ['alloc', 'g', 'hugetlb', 1, 'size=1G', 'nofault']);
      if (!gigantic.ok) expect(gigantic.errnoName).toMatch(/^(ENOMEM|EINVAL)$/);
      else await helper.release('g');
      // free-hugepages with a size only returns heads of that size (none, on a host without a pool).
      const sized = await helper.request(replySchema.extend({ pfns: pfnsSchema }), ['free-hugepages', 1, 2048]);
      if (!sized.ok) expect(sized.error).toMatch(/^(only 0 free 2048 kB hugetlb pages, 1 wanted|cannot read \/proc\/kpageflags)/);
    } finally {
      await helper.close();
    }
  });

  it('reports SIGBUS that arrives while idle as an event, and survives bad input', async () => {
    const helper = await HelperSession.start(localSsh());
    const conversation = (helper as unknown as { conversation: GuestConversation }).conversation;
    try {
      const sigbus = new Promise<HelperEvent>((resolve) => helper.on('event', (event) => event.event === 'sigbus' && resolve(event)));
      process.kill(helper.pid, 'SIGBUS');
      expect(await sigbus).toEqual({ event: 'sigbus', async: true, code: 0, codeName: 'SI_USER', addr: '0x0', lsb: 0 });

      const errors = helper.events().length;
      conversation.write('not-an-id version\n');
      conversation.write(`7 ${'x'.repeat(70_000)}\n`);
      expect((await helper.request(replySchema, ['version'])).ok).toBe(true);
      const complaints = helper.events().slice(errors);
      expect(complaints.map((event) => event.event)).toEqual(['error', 'error']);
      expect(complaints.every((event) => !('id' in event))).toBe(true);
    } finally {
      await helper.close();
    }
    expect((await helper.closed).exitCode).toBe(0);
  });

  it('spins on a page until the time is up or a SIGBUS ends the loop', async () => {
    const helper = await HelperSession.start(localSsh());
    const file = path.join(dir, 'spin.data');
    const cpu = await allowedCpu();
    try {
      await helper.alloc('page', 'anon', 1);
      const idle = await helper.request(spinReplySchema, ['spin', 'page', 0, 50, cpu]);
      expect(idle).toMatchObject({ ok: true, outcome: 'ok', sigbus: null });
      expect(idle.loops).toBeGreaterThan(0);
      expect(helper.events().filter((event) => event.event === 'spinning')).toHaveLength(1);
      expect(await helper.request(replySchema, ['spin', 'page', 0, 0, cpu])).toMatchObject({ ok: false });
      expect(await helper.request(replySchema, ['spin', 'page', 0, 10, 100_000])).toMatchObject({ ok: false });

      const target = await helper.alloc('file', 'file-dirty', 1, file);
      const spinning = helper.waitForEvent('spinning', 10_000);
      const spin = helper.request(spinReplySchema, ['spin', 'file', 0, 20_000, cpu], 30_000);
      expect(await spinning).toMatchObject({ event: 'spinning', id: expect.any(Number) });
      await fs.truncate(file, 0);
      const spun = await spin;
      expect(spun).toMatchObject({ ok: true, outcome: 'sigbus', sigbus: { code: 2, codeName: 'BUS_ADRERR' } });
      // The exact byte being read when the page went, somewhere in the page.
      expect(BigInt(spun.sigbus!.addr) & ~0xfffn).toBe(BigInt(target.vaddr));
      expect(spun.loops).toBeGreaterThan(0);
    } finally {
      await helper.close();
    }
  });

  it('dies with a fatal event and exit 135 on an unguarded synchronous SIGBUS', async () => {
    const helper = await HelperSession.start(localSsh());
    const file = path.join(dir, 'doomed.data');
    await helper.alloc('doomed', 'file-dirty', 1, file);
    await fs.truncate(file, 0);
    await expect(helper.request(replySchema, ['access', 'doomed', 0, 'write', 'unguarded'])).rejects.toThrow(/exit 135/);
    expect((await helper.closed).exitCode).toBe(135);
    expect(helper.events().at(-1)).toMatchObject({ event: 'sigbus', async: false, fatal: true, code: 2, codeName: 'BUS_ADRERR', exitStatus: 135 });
    await fs.rm(file, { force: true });
  });
});

describe('HelperSession.start when the guest goes away', () => {
  it('rejects with the lost connection and leaves no deadline behind to fail later', async () => {
    const lost = new Error('SSH connection to the guest lost (the connection closed)');
    const ssh = { converse: () => Promise.reject(lost) } as unknown as GuestSsh;
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    try {
      await expect(HelperSession.start(ssh, { timeoutMs: 50 })).rejects.toBe(lost);
      await new Promise((resolve) => setTimeout(resolve, 150));
      expect(unhandled).toEqual([]);
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
  });

  it('rejects at once when the helper ends before it says ready', async () => {
    const ssh = {
      converse: async (): Promise<GuestConversation> => ({ write: () => {}, stop: () => {}, closed: Promise.resolve({ exitCode: 127, signal: null, stderr: 'memharness-helper: not found' }) }),
    } as unknown as GuestSsh;
    const started = Date.now();
    await expect(HelperSession.start(ssh, { timeoutMs: 30_000 })).rejects.toThrow(/the guest helper ended \(exit 127\): memharness-helper: not found/);
    expect(Date.now() - started).toBeLessThan(5_000);
  });
});
