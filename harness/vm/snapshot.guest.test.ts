import fs from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HelperSession } from '../guest-helper/helper-session.ts';
import { bootSharedTestGuest, leftoverQemuGroups, type SharedTestGuest } from '../testing/guest-fixture.ts';
import { HarnessError, formatError } from '../util/errors.ts';
import type { Guest } from './guest.ts';
import { renderQemuArgs } from './qemu-args.ts';
import { restoreGuest } from './restore-guest.ts';
import { loadSnapshot, saveSnapshot, type GuestSnapshot } from './snapshot.ts';

const KERNELS = ['6.12.117', '6.1.0-56'];

async function sh(guest: Guest, command: string): Promise<string> {
  const result = await guest.exec(command, { timeoutMs: 60_000 });
  if (result.exitCode !== 0) throw new Error(`\`${command}\` failed (${result.exitCode}): ${result.stderr}`);
  return result.stdout.trim();
}

function hardwareCorruptedKb(meminfo: string): number {
  const match = /^HardwareCorrupted:\s+(\d+) kB/m.exec(meminfo);
  if (!match) throw new Error(`no HardwareCorrupted in meminfo:\n${meminfo}`);
  return Number(match[1]);
}

async function expectRestoreError(promise: Promise<Guest>, pattern: RegExp): Promise<HarnessError> {
  let caught: unknown;
  try {
    const guest = await promise;
    await guest.shutdown();
  } catch (error) {
    caught = error;
  }
  expect(caught, 'the restore should have failed').toBeInstanceOf(HarnessError);
  expect(formatError(caught as HarnessError)).toMatch(pattern);
  return caught as HarnessError;
}

/** QEMU groups this process still has, allowing a killed one a moment to be reaped. */
async function expectOnlyQemu(expected: number[]): Promise<void> {
  const deadline = Date.now() + 5_000;
  while (Date.now() < deadline && leftoverQemuGroups().length > expected.length) await new Promise((resolve) => setTimeout(resolve, 50));
  expect(leftoverQemuGroups().sort()).toEqual([...expected].sort());
}

describe.each(KERNELS)('snapshot and restore on %s', (kernelRef) => {
  let shared: SharedTestGuest;
  let snapshot: GuestSnapshot;
  const restored: Guest[] = [];

  beforeAll(async () => {
    shared = await bootSharedTestGuest(kernelRef, { modules: ['brd', 'hwpoison_inject'] });
    const { guest } = shared;
    // State written before the save: a file, and a module reloaded with other parameters.
    await sh(guest, 'echo before-save > /tmp/marker && rmmod brd && modprobe brd rd_nr=1 rd_size=2048');
    snapshot = await saveSnapshot(guest, path.join(shared.runDir, 'snap', 'guest.migration'));
  });

  afterAll(async () => {
    await Promise.all(restored.map((guest) => guest.shutdown()));
    await shared?.dispose();
    await expectOnlyQemu([]);
  });

  it('saves a ready guest quickly into a compact stream and keeps the source running', async () => {
    expect(snapshot.initReady).toBe(true);
    expect(snapshot.unameRelease).toBe(shared.guest.unameRelease);
    expect(snapshot.sizeBytes).toBeGreaterThan(10 * 1024 ** 2);
    expect(snapshot.sizeBytes).toBeLessThan(1024 ** 3);
    expect(snapshot.qemuArgs).not.toContain('-incoming');
    const manifest = await loadSnapshot(snapshot.file);
    expect(manifest.launch.keys.hostKeyBlob.equals(snapshot.launch.keys.hostKeyBlob)).toBe(true);
    // The source was resumed after the switch-over; its own SSH connection survives.
    expect(await sh(shared.guest, 'cat /tmp/marker')).toBe('before-save');
    console.log(`[${kernelRef}] save ${snapshot.saveMs} ms, ${(snapshot.sizeBytes / 1024 ** 2).toFixed(1)} MiB, downtime ${snapshot.migration.downtimeMs} ms; fresh boot readyMs ${shared.guest.timings.readyMs}`);
  });

  it('restores twice at once from one file, each guest isolated from the other', async () => {
    const [a, b] = await Promise.all(
      ['a', 'b'].map((id) => restoreGuest(snapshot, { machineDir: path.join(shared.runDir, `restore-${id}`), name: `restore-${id}` })),
    );
    restored.push(a!, b!);
    const guests = [a!, b!];
    expect(a!.sshPort).not.toBe(b!.sshPort);
    console.log(`[${kernelRef}] concurrent restores: ${guests.map((g) => `${g.timings.restoreMs} ms`).join(', ')}`);
    for (const guest of guests) {
      expect(guest.unameRelease).toBe(shared.guest.unameRelease);
      expect(guest.timings.restoreMs).toBeGreaterThan(0);
      expect(await sh(guest, 'cat /tmp/marker')).toBe('before-save');
      expect(await sh(guest, 'cat /sys/module/brd/parameters/rd_size')).toBe('2048');
      const guestEpoch = Number(await sh(guest, 'date +%s'));
      expect(Math.abs(guestEpoch - Date.now() / 1000)).toBeLessThan(3);
    }

    // A change in one is not in the other.
    await sh(a!, 'echo only-in-a > /tmp/marker');
    expect(await sh(a!, 'cat /tmp/marker')).toBe('only-in-a');
    expect(await sh(b!, 'cat /tmp/marker')).toBe('before-save');

    // Per-case isolation: hwpoison in A only.
    expect(hardwareCorruptedKb(await sh(a!, 'cat /proc/meminfo'))).toBe(0);
    const helper = await HelperSession.start(a!.ssh);
    const [pfn] = await helper.freePages(1);
    await helper.close();
    await sh(a!, `echo 0x${pfn!.toString(16)} > /sys/kernel/debug/hwpoison/corrupt-pfn`);
    expect(hardwareCorruptedKb(await sh(a!, 'cat /proc/meminfo'))).toBeGreaterThanOrEqual(4);
    expect(hardwareCorruptedKb(await sh(b!, 'cat /proc/meminfo'))).toBe(0);
    expect(await sh(b!, `cat /sys/kernel/debug/hwpoison/corrupt-pfn >/dev/null 2>&1; dmesg | grep -c 'Memory failure' || true`)).toBe('0');
    await Promise.all(guests.map((guest) => guest.shutdown()));
    restored.length = 0;
  });

  it('explains a missing, truncated or mismatched snapshot, and leaves no QEMU behind', async () => {
    const dir = shared.runDir;
    await expectRestoreError(restoreGuest({ ...snapshot, file: path.join(dir, 'nope.migration') }, { machineDir: path.join(dir, 'bad-1') }), /does not exist/);

    const truncated = path.join(dir, 'truncated.migration');
    await fs.copyFile(snapshot.file, truncated);
    const size = Math.floor(snapshot.sizeBytes / 2);
    await fs.truncate(truncated, size);
    await expectRestoreError(restoreGuest({ ...snapshot, file: truncated }, { machineDir: path.join(dir, 'bad-2') }), /truncated/);
    // Past the harness's own size check: QEMU itself refuses, and its words are reported.
    await expectRestoreError(
      restoreGuest({ ...snapshot, file: truncated, sizeBytes: size }, { machineDir: path.join(dir, 'bad-3'), runningTimeoutMs: 30_000 }),
      /QEMU exited|migration failed/i,
    );

    // A different device set: caught before QEMU starts, and by QEMU when forced.
    await expectRestoreError(restoreGuest({ ...snapshot, spec: { ...snapshot.spec, rng: true } }, { machineDir: path.join(dir, 'bad-4') }), /differs from the saved one/);
    // Forced past that check (the recorded arguments say 2304 MiB too): QEMU refuses the RAM.
    const bigger = { ...snapshot.spec, memoryMiB: snapshot.spec.memoryMiB + 256 };
    const biggerArgs = renderQemuArgs(bigger, {
      name: 'x',
      accel: snapshot.accel,
      kernelImage: snapshot.launch.kernelImage,
      initrd: snapshot.launch.initrd,
      kernelCmdline: snapshot.launch.kernelCmdline,
      qmpSocket: 'x',
      sshPort: 1,
    });
    const mismatch = await expectRestoreError(
      restoreGuest({ ...snapshot, spec: bigger, qemuArgs: biggerArgs }, { machineDir: path.join(dir, 'bad-5') }),
      /QEMU exited|migration failed/i,
    );
    console.log(`[${kernelRef}] device mismatch reported as: ${mismatch.message}`);
    await expectOnlyQemu([shared.guest.machine.pid]);
  });

  it('restores a frozen clock unless told to keep it, and refuses to save a guest that took an MCE', async () => {
    await new Promise((resolve) => setTimeout(resolve, 4_000));
    const frozen = await restoreGuest(snapshot, { machineDir: path.join(shared.runDir, 'frozen'), keepGuestClock: true });
    restored.push(frozen);
    const behindS = Date.now() / 1000 - Number(await sh(frozen, 'date +%s'));
    expect(behindS).toBeGreaterThan(3);
    await frozen.shutdown();
    restored.length = 0;

    shared.guest.markUnfitForSnapshot('took an MCE (test)');
    await expect(saveSnapshot(shared.guest, path.join(shared.runDir, 'snap', 'tainted.migration'))).rejects.toThrow(/cannot be snapshotted: took an MCE/);
  });
});
