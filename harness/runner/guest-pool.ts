import fs from 'node:fs/promises';
import path from 'node:path';
import type { AcceleratorRequest } from '../host/accelerator.ts';
import { bootPreparedGuest, prepareLaunch, type PreparedLaunch } from '../launch/launch-guest.ts';
import { errorText } from './step-errors.ts';
import type { Progress } from '../util/progress.ts';
import type { Guest } from '../vm/guest.ts';
import type { GuestSpec } from '../vm/guest-spec.ts';
import { restoreGuest } from '../vm/restore-guest.ts';
import { saveSnapshot, type GuestSnapshot } from '../vm/snapshot.ts';
import { snapshotBlocker } from '../vm/topology.ts';

export interface GuestPoolOptions {
  kernelRef?: string;
  modulesDir?: string;
  spec: GuestSpec;
  accel: AcceleratorRequest;
  /** Scratch space of this group: keys, initrd, machine dirs, the snapshot (not the results). */
  workDir: string;
  progress: Progress;
  bootTimeoutMs?: number;
  /** Ask for no snapshot: every case gets a fresh boot. */
  noSnapshot?: boolean;
}

/** A clean guest for one attempt, and how it was had. */
export interface LeasedGuest {
  guest: Guest;
  isolation: 'restore' | 'boot';
  /** Wall-clock ms spent getting it (boot or restore, plus the snapshot save for the first). */
  setupMs: number;
}

export interface PoolTimings {
  boots: number[];
  restores: number[];
  saveMs: number | null;
  /** Why the pool fell back to boots, when it did. */
  fallbacks: string[];
}

/**
 * The guests of one group (one guest configuration). The first lease boots a guest, saves a
 * snapshot of it and hands out that guest itself; every later lease restores the snapshot.
 * When the save or a restore fails the pool falls back to a fresh boot per lease. Leased
 * guests are used for one attempt and then thrown away (release), whatever state they are in.
 */
export class GuestPool {
  readonly timings: PoolTimings = { boots: [], restores: [], saveMs: null, fallbacks: [] };
  private prepared: Promise<PreparedLaunch> | null = null;
  /** Settles once the first lease's boot and snapshot save are over, however they went. */
  private firstGuest: Promise<unknown> | null = null;
  private snapshot: GuestSnapshot | null = null;
  private snapshotBroken = false;
  private leases = 0;
  private readonly live = new Set<Guest>();
  private closed = false;

  constructor(private readonly options: GuestPoolOptions) {}

  /** Host packages, kernel, keys, initramfs, accelerator: once per group, however many workers ask. */
  prepare(): Promise<PreparedLaunch> {
    this.prepared ??= prepareLaunch({
      kernelRef: this.options.kernelRef,
      modulesDir: this.options.modulesDir,
      spec: this.options.spec,
      accel: this.options.accel,
      runDir: this.options.workDir,
      progress: this.options.progress,
    });
    return this.prepared;
  }

  /**
   * A clean guest. Leases may overlap (several workers on one group): the first boots and
   * saves the snapshot; the others wait for that and restore, or boot when there is none.
   */
  async lease(): Promise<LeasedGuest> {
    this.throwIfClosed();
    const n = ++this.leases;
    const started = Date.now();
    if (n === 1) {
      const first = this.bootFirst(started);
      this.firstGuest = first.catch(() => undefined);
      return first;
    }
    await this.firstGuest;
    this.throwIfClosed();
    if (this.snapshot && !this.snapshotBroken) {
      try {
        const guest = await restoreGuest(this.snapshot, { machineDir: path.join(this.options.workDir, `restore-${n}`), name: `memharness-restore-${n}` });
        this.track(guest);
        const ms = Date.now() - started;
        this.timings.restores.push(ms);
        return { guest, isolation: 'restore', setupMs: ms };
      } catch (error) {
        // A restore that Ctrl-C killed says nothing about the snapshot; and no boot after a stop.
        this.throwIfClosed();
        this.snapshotBroken = true;
        this.timings.fallbacks.push(`restore failed, booting instead: ${errorText(error)}`);
        this.options.progress.info(`note: restoring the snapshot failed (${errorText(error)}); booting a fresh guest per case`);
      }
    }
    const guest = await this.boot(n);
    return { guest, isolation: 'boot', setupMs: Date.now() - started };
  }

  private async bootFirst(started: number): Promise<LeasedGuest> {
    const guest = await this.boot(1);
    const blocker = snapshotBlocker(this.options.spec);
    if (blocker) {
      this.snapshotBroken = true;
      this.timings.fallbacks.push(blocker);
    } else if (!this.options.noSnapshot) {
      await this.trySave(guest);
    }
    return { guest, isolation: 'boot', setupMs: Date.now() - started };
  }

  /** Ends a leased guest: it has run an attempt and is never reused. */
  async release(guest: Guest): Promise<void> {
    this.live.delete(guest);
    await guest.shutdown(2_000).catch(() => undefined);
  }

  /** Ctrl-C: kill every live guest at once (no graceful quit). */
  killAll(): void {
    this.closed = true;
    for (const guest of this.live) guest.machine.kill();
  }

  async close(): Promise<void> {
    this.closed = true;
    await Promise.all([...this.live].map((guest) => this.release(guest)));
    if (this.snapshot) await fs.rm(this.snapshot.file, { force: true }).catch(() => undefined);
  }

  private async boot(n: number): Promise<Guest> {
    const prepared = await this.prepare();
    this.throwIfClosed();
    const started = Date.now();
    const guest = await bootPreparedGuest(prepared, { spec: this.options.spec, runDir: this.options.workDir, progress: this.options.progress, bootTimeoutMs: this.options.bootTimeoutMs, name: `boot-${n}` });
    this.track(guest);
    this.timings.boots.push(Date.now() - started);
    return guest;
  }

  private async trySave(guest: Guest): Promise<void> {
    if (!guest.reusable) {
      this.timings.fallbacks.push(`the booted guest is not reusable (${guest.notReusableBecause}): no snapshot`);
      return;
    }
    try {
      this.snapshot = await saveSnapshot(guest, path.join(this.options.workDir, 'group.snapshot'));
      this.timings.saveMs = this.snapshot.saveMs;
    } catch (error) {
      this.snapshotBroken = true;
      this.timings.fallbacks.push(`saving the snapshot failed, booting per case: ${errorText(error)}`);
      this.options.progress.info(`note: saving a snapshot failed (${errorText(error)}); booting a fresh guest per case`);
    }
  }

  private throwIfClosed(): void {
    if (this.closed) throw new Error('the guest pool is closed (the run was interrupted)');
  }

  private track(guest: Guest): void {
    this.live.add(guest);
    if (this.closed) guest.machine.kill();
  }
}
