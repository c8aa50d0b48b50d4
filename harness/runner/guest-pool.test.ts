import { describe, expect, it } from 'vitest';
import type { PreparedLaunch } from '../launch/launch-guest.ts';
import { HarnessError } from '../util/errors.ts';
import type { Guest } from '../vm/guest.ts';
import { defaultGuestSpec } from '../vm/guest-spec.ts';
import type { GuestSnapshot } from '../vm/snapshot.ts';
import { GuestPool, LeaseError, type GuestPoolBackend } from './guest-pool.ts';

// The pool's fallbacks with QEMU replaced by a scripted backend: what each lease got over is
// what the attempt it serves records (the real restores: run-command.guest.test.ts).

type Step = 'ok' | Error;

function fakeGuest(name: string): Guest {
  return { name, fitForSnapshot: true, machine: { kill: () => undefined }, shutdown: async () => undefined } as unknown as Guest;
}

function pool(script: { boots?: Step[]; restores?: Step[]; save?: Step; copyOnWrite?: boolean }) {
  const calls: string[] = [];
  const boots = [...(script.boots ?? [])];
  const restores = [...(script.restores ?? [])];
  const run = (step: Step | undefined) => {
    if (step instanceof Error) throw step;
  };
  const backend: GuestPoolBackend = {
    prepare: async () => ({}) as PreparedLaunch,
    boot: async (_prepared, options) => {
      calls.push(`boot ${options.name}`);
      run(boots.shift());
      return fakeGuest(options.name ?? 'boot');
    },
    restore: async (_snapshot, options) => {
      calls.push(`restore ${options.name}`);
      run(restores.shift());
      return fakeGuest(options.name ?? 'restore');
    },
    save: async () => {
      calls.push('save');
      run(script.save);
      return { file: '/nonexistent/group.snapshot', saveMs: 1 } as GuestSnapshot;
    },
    ...(script.copyOnWrite
      ? {
          makeRamDir: async () => (calls.push('make ram dir'), { dir: '/dev/shm/memharness-ram-test' }),
          removeRamDir: async (dir: string) => void calls.push(`remove ${dir}`),
        }
      : {}),
  };
  const notes: string[] = [];
  const guestPool = new GuestPool({ spec: defaultGuestSpec(), accel: 'tcg', workDir: '/nonexistent', progress: { info: (text) => notes.push(text), step: (_label, work) => work() }, backend });
  return { guestPool, calls, notes };
}

const qemuDied = () => new HarnessError('qemu', 'QEMU exited (signal SIGKILL) while loading the snapshot');

describe('GuestPool', () => {
  it('records nothing when the boot, the save and the restores work', async () => {
    const { guestPool, calls } = pool({});
    const first = await guestPool.lease();
    const second = await guestPool.lease();
    expect([first.isolation, second.isolation]).toEqual(['boot', 'restore']);
    expect([first.recoveries, second.recoveries]).toEqual([[], []]);
    expect(calls).toEqual(['boot boot-1', 'save', 'restore memharness-restore-2']);
  });

  it('copy-on-write: the template boots with its RAM on tmpfs, is ended once saved, and the first lease restores too', async () => {
    const { guestPool, calls } = pool({ copyOnWrite: true });
    const first = await guestPool.lease();
    const second = await guestPool.lease();
    expect([first.isolation, second.isolation]).toEqual(['restore', 'restore']);
    expect(guestPool.timings.snapshotKind).toBe('copy-on-write');
    await guestPool.close();
    expect(calls).toEqual(['make ram dir', 'boot template-1', 'save', 'restore memharness-restore-1', 'restore memharness-restore-2', 'remove /dev/shm/memharness-ram-test']);
  });

  it('copy-on-write: a first restore that fails falls back to a boot for that lease and the rest', async () => {
    const { guestPool, calls } = pool({ copyOnWrite: true, restores: [new HarnessError('qemu', 'QEMU exited (code 1): Length mismatch')] });
    const first = await guestPool.lease();
    expect(first.isolation).toBe('boot');
    expect(first.recoveries.map((r) => r.what)).toEqual(['restore-fell-back-to-boot']);
    expect((await guestPool.lease()).isolation).toBe('boot');
    expect(calls).toEqual(['make ram dir', 'boot template-1', 'save', 'restore memharness-restore-1', 'boot boot-1', 'boot boot-2']);
  });

  it('redoes a restore whose QEMU died, once, and says so in that lease', async () => {
    const { guestPool, calls, notes } = pool({ restores: [qemuDied(), 'ok', 'ok'] });
    await guestPool.lease();
    const second = await guestPool.lease();
    expect(second.isolation).toBe('restore');
    expect(second.recoveries).toEqual([{ what: 'restore-redone', message: 'restoring the snapshot failed (QEMU exited (signal SIGKILL) while loading the snapshot); a second restore worked' }]);
    expect(notes.join('\n')).toMatch(/restoring it again/);
    // The snapshot is still good: the next lease restores, and has nothing to report.
    const third = await guestPool.lease();
    expect(third).toMatchObject({ isolation: 'restore', recoveries: [] });
    expect(calls).toEqual(['boot boot-1', 'save', 'restore memharness-restore-2', 'restore memharness-restore-2-again', 'restore memharness-restore-3']);
    expect(guestPool.timings.fallbacks).toEqual([]);
  });

  it('falls back to a boot when the redo fails too, or at once when the restore failed otherwise', async () => {
    const twice = pool({ restores: [qemuDied(), new HarnessError('qemu', 'QEMU exited (code 1) while loading the snapshot')] });
    await twice.guestPool.lease();
    const second = await twice.guestPool.lease();
    expect(second.isolation).toBe('boot');
    expect(second.recoveries).toEqual([
      {
        what: 'restore-fell-back-to-boot',
        message: "restoring the snapshot failed twice (QEMU exited (signal SIGKILL) while loading the snapshot; again: QEMU exited (code 1) while loading the snapshot); booted a fresh guest instead, as the group's later cases will",
      },
    ]);
    // Later leases boot without a word: the lease that gave the snapshot up said why.
    expect(await twice.guestPool.lease()).toMatchObject({ isolation: 'boot', recoveries: [] });

    const timeout = pool({ restores: [new HarnessError('timeout', 'the restored guest did not reach running within 60000 ms (status inmigrate)')] });
    await timeout.guestPool.lease();
    const leased = await timeout.guestPool.lease();
    expect(leased.recoveries.map((recovery) => recovery.what)).toEqual(['restore-fell-back-to-boot']);
    expect(timeout.calls.filter((call) => call.startsWith('restore'))).toHaveLength(1);

    // A stream that does not fit the machine would fail the same way again: no redo.
    const mismatch = pool({ restores: [new HarnessError('qemu', 'QEMU exited (code 1) while loading the snapshot: qemu: Unknown ramblock "pc.ram"')] });
    await mismatch.guestPool.lease();
    expect((await mismatch.guestPool.lease()).isolation).toBe('boot');
    expect(mismatch.calls.filter((call) => call.startsWith('restore'))).toHaveLength(1);
  });

  it('says when the snapshot could not be saved, in the first lease', async () => {
    const { guestPool } = pool({ save: new Error('savevm: no space left on device') });
    const first = await guestPool.lease();
    expect(first.recoveries).toEqual([{ what: 'snapshot-not-saved', message: "saving the snapshot failed (savevm: no space left on device); this guest ran the case, the group's later cases boot their own" }]);
    expect(await guestPool.lease()).toMatchObject({ isolation: 'boot', recoveries: [] });
  });

  it('keeps what it tried first when the boot instead fails too', async () => {
    const { guestPool } = pool({ boots: ['ok', new Error('QEMU exited during boot')], restores: [new HarnessError('usage', 'snapshot file x does not exist')] });
    await guestPool.lease();
    const failed = await guestPool.lease().catch((error: unknown) => error);
    expect(failed).toBeInstanceOf(LeaseError);
    expect((failed as LeaseError).message).toBe('QEMU exited during boot');
    expect((failed as LeaseError).recoveries.map((recovery) => recovery.what)).toEqual(['restore-fell-back-to-boot']);
  });

  it('neither redoes nor boots after a stop', async () => {
    const { guestPool, calls } = pool({ restores: [qemuDied()] });
    await guestPool.lease();
    const leasing = guestPool.lease();
    guestPool.killAll();
    await expect(leasing).rejects.toThrow(/the guest pool is closed/);
    expect(calls.filter((call) => call.startsWith('boot'))).toHaveLength(1);
  });
});
