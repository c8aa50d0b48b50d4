import fs from 'node:fs/promises';
import path from 'node:path';
import type { AcceleratorRequest } from '../host/accelerator.ts';
import { bootPreparedGuest, prepareLaunch, type PreparedLaunch } from '../launch/launch-guest.ts';
import type { Recovery } from '../results/run-result.ts';
import { HarnessError } from '../util/errors.ts';
import { errorText } from './step-errors.ts';
import type { Progress } from '../util/progress.ts';
import type { Guest } from '../vm/guest.ts';
import type { GuestSpec } from '../vm/guest-spec.ts';
import { restoreGuest } from '../vm/restore-guest.ts';
import { saveSnapshot, type GuestSnapshot } from '../vm/snapshot.ts';
import { makeRamDir, privateMemoryKiB, removeRamDir } from '../vm/ram-dir.ts';
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
  /** How guests are had; default the real QEMU paths (unit tests pass fakes). */
  backend?: GuestPoolBackend;
}

/** The things the pool does with QEMU and the host (the optional ones: copy-on-write snapshots and memory figures). */
export interface GuestPoolBackend {
  prepare: typeof prepareLaunch;
  boot: typeof bootPreparedGuest;
  restore: typeof restoreGuest;
  save: typeof saveSnapshot;
  makeRamDir?: typeof makeRamDir;
  removeRamDir?: typeof removeRamDir;
  privateMemoryKiB?: typeof privateMemoryKiB;
}

const QEMU_BACKEND: GuestPoolBackend = { prepare: prepareLaunch, boot: bootPreparedGuest, restore: restoreGuest, save: saveSnapshot, makeRamDir, removeRamDir, privateMemoryKiB };

/** A lease that failed after a recovery (a restore gave up, then the boot instead failed): the error and what was tried first. */
export class LeaseError extends Error {
  constructor(
    cause: unknown,
    readonly recoveries: readonly Recovery[],
  ) {
    super(errorText(cause), { cause });
  }
}

/** A clean guest for one attempt, and how it was had. */
export interface LeasedGuest {
  guest: Guest;
  isolation: 'restore' | 'boot';
  /** Wall-clock ms spent getting it (boot or restore, plus the snapshot save for the first). */
  setupMs: number;
  /** What went wrong on the way and how the pool got over it (empty: nothing did). */
  recoveries: Recovery[];
}

export interface PoolTimings {
  boots: number[];
  restores: number[];
  saveMs: number | null;
  /** Why the pool fell back to boots, when it did. */
  fallbacks: string[];
  /** `copy-on-write` (boot RAM shared from the template), `copy` (the stream holds the RAM) or why there was no snapshot. */
  snapshotKind: 'copy-on-write' | 'copy' | null;
  /** Private memory (KiB) of each leased QEMU when it was released: what one more running guest costs. */
  privateKiB: number[];
}

/**
 * The guests of one group (one guest configuration). The first lease boots a guest and saves
 * a snapshot of it: copy-on-write where /dev/shm has room (the template is then ended and the
 * first lease restores too), else a plain one whose guest serves the first lease; every later
 * lease restores the snapshot.
 * A restore whose QEMU died is redone once (a port race, a QEMU killed from outside: the
 * snapshot is fine); when that fails too, or the save or a restore fails otherwise, the pool
 * falls back to a fresh boot per lease. Each lease says what it got over (`recoveries`), so
 * the attempt it served records it. Leased guests are used for one attempt and then thrown
 * away (release), whatever state they are in.
 */
export class GuestPool {
  readonly timings: PoolTimings = { boots: [], restores: [], saveMs: null, fallbacks: [], snapshotKind: null, privateKiB: [] };
  /** The template's boot RAM on tmpfs, when snapshots are copy-on-write. */
  private ramDir: string | null = null;
  private prepared: Promise<PreparedLaunch> | null = null;
  /** Settles once the first lease's boot and snapshot save are over, however they went. */
  private firstGuest: Promise<unknown> | null = null;
  private snapshot: GuestSnapshot | null = null;
  private snapshotBroken = false;
  private leases = 0;
  private readonly live = new Set<Guest>();
  private closed = false;
  private readonly backend: GuestPoolBackend;

  constructor(private readonly options: GuestPoolOptions) {
    this.backend = options.backend ?? QEMU_BACKEND;
  }

  /** Host packages, kernel, keys, initramfs, accelerator: once per group, however many workers ask. */
  prepare(): Promise<PreparedLaunch> {
    this.prepared ??= this.backend.prepare({
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
    const recoveries: Recovery[] = [];
    if (this.snapshot && !this.snapshotBroken) {
      const restored = await this.restore(this.snapshot, n, recoveries);
      if (restored) return { guest: restored, isolation: 'restore', setupMs: Date.now() - started, recoveries };
    }
    try {
      const guest = await this.boot(n);
      return { guest, isolation: 'boot', setupMs: Date.now() - started, recoveries };
    } catch (error) {
      throw recoveries.length > 0 ? new LeaseError(error, recoveries) : error;
    }
  }

  /**
   * A restore of the snapshot, redone once when its QEMU died; null when the pool gives the
   * snapshot up (this lease and the later ones boot). What happened goes into `recoveries`.
   */
  private async restore(snapshot: GuestSnapshot, n: number, recoveries: Recovery[]): Promise<Guest | null> {
    let firstError: unknown = null;
    for (const round of [1, 2]) {
      const started = Date.now();
      try {
        const suffix = round === 1 ? '' : '-again';
        const guest = await this.backend.restore(snapshot, { machineDir: path.join(this.options.workDir, `restore-${n}${suffix}`), name: `memharness-restore-${n}${suffix}` });
        this.track(guest);
        this.timings.restores.push(Date.now() - started);
        if (firstError !== null) recoveries.push({ what: 'restore-redone', message: `restoring the snapshot failed (${errorText(firstError)}); a second restore worked` });
        return guest;
      } catch (error) {
        // A restore that Ctrl-C killed says nothing about the snapshot; and no redo or boot after a stop.
        this.throwIfClosed();
        if (round === 1 && qemuDied(error)) {
          firstError = error;
          this.options.progress.info(`note: restoring the snapshot failed (${errorText(error)}); restoring it again`);
          continue;
        }
        this.snapshotBroken = true;
        const what = firstError === null ? errorText(error) : `${errorText(firstError)}; again: ${errorText(error)}`;
        this.timings.fallbacks.push(`restore failed, booting instead: ${what}`);
        this.options.progress.info(`note: restoring the snapshot failed (${what}); booting a fresh guest per case`);
        recoveries.push({ what: 'restore-fell-back-to-boot', message: `restoring the snapshot failed${firstError === null ? '' : ' twice'} (${what}); booted a fresh guest instead, as the group's later cases will` });
        return null;
      }
    }
    return null;
  }

  /**
   * The first lease: boot, and save the snapshot. A copy-on-write template (boot RAM in a
   * tmpfs file, see vm/snapshot.ts) must never run again once saved, so it is ended and the
   * first case restores like the others; a plain snapshot's guest serves the first case.
   */
  private async bootFirst(started: number): Promise<LeasedGuest> {
    const recoveries: Recovery[] = [];
    const blocker = snapshotBlocker(this.options.spec);
    const snapshotting = !blocker && !this.options.noSnapshot;
    if (snapshotting && this.backend.makeRamDir) {
      const made = await this.backend.makeRamDir(path.basename(this.options.workDir), this.options.spec.memoryMiB);
      if ('dir' in made) this.ramDir = made.dir;
      else this.timings.fallbacks.push(made.unavailable);
    }
    const guest = await this.boot(1, this.ramDir ?? undefined);
    if (blocker) {
      this.snapshotBroken = true;
      this.timings.fallbacks.push(blocker);
    } else if (snapshotting) {
      const failed = await this.trySave(guest);
      if (failed) recoveries.push({ what: 'snapshot-not-saved', message: `saving the snapshot failed (${failed}); this guest ran the case, the group's later cases boot their own` });
      if (!failed && this.snapshot && this.ramDir) {
        this.timings.snapshotKind = 'copy-on-write';
        await this.release(guest, { measure: false });
        const restored = await this.restore(this.snapshot, 1, recoveries);
        if (restored) return { guest: restored, isolation: 'restore', setupMs: Date.now() - started, recoveries };
        const booted = await this.boot(1);
        return { guest: booted, isolation: 'boot', setupMs: Date.now() - started, recoveries };
      }
      if (!failed && this.snapshot) this.timings.snapshotKind = 'copy';
    }
    return { guest, isolation: 'boot', setupMs: Date.now() - started, recoveries };
  }

  /** Ends a leased guest: it has run an attempt and is never reused. */
  async release(guest: Guest, options: { measure?: boolean } = {}): Promise<void> {
    this.live.delete(guest);
    if (options.measure !== false && this.backend.privateMemoryKiB) {
      const kib = await this.backend.privateMemoryKiB(guest.machine.pid);
      if (kib !== null) this.timings.privateKiB.push(kib);
    }
    await guest.shutdown(2_000).catch(() => undefined);
  }

  /** Ctrl-C: kill every live guest at once (no graceful quit). */
  killAll(): void {
    this.closed = true;
    for (const guest of this.live) guest.machine.kill();
  }

  async close(): Promise<void> {
    this.closed = true;
    await Promise.all([...this.live].map((guest) => this.release(guest, { measure: false })));
    if (this.snapshot) await fs.rm(this.snapshot.file, { force: true }).catch(() => undefined);
    if (this.ramDir && this.backend.removeRamDir) await this.backend.removeRamDir(this.ramDir).catch(() => undefined);
  }

  private async boot(n: number, ramDir?: string): Promise<Guest> {
    const prepared = await this.prepare();
    this.throwIfClosed();
    const started = Date.now();
    const guest = await this.backend.boot(prepared, { spec: this.options.spec, runDir: this.options.workDir, progress: this.options.progress, bootTimeoutMs: this.options.bootTimeoutMs, name: ramDir ? `template-${n}` : `boot-${n}`, ...(ramDir ? { ramDir } : {}) });
    this.track(guest);
    this.timings.boots.push(Date.now() - started);
    return guest;
  }

  /** Saves the group's snapshot; returns why it failed, or null (saved, or not to be saved). */
  private async trySave(guest: Guest): Promise<string | null> {
    if (!guest.fitForSnapshot) {
      this.timings.fallbacks.push(`the booted guest is unfit for a snapshot (${guest.unfitForSnapshotBecause}): no snapshot`);
      return null;
    }
    try {
      this.snapshot = await this.backend.save(guest, path.join(this.options.workDir, 'group.snapshot'));
      this.timings.saveMs = this.snapshot.saveMs;
      return null;
    } catch (error) {
      this.snapshotBroken = true;
      this.timings.fallbacks.push(`saving the snapshot failed, booting per case: ${errorText(error)}`);
      this.options.progress.info(`note: saving a snapshot failed (${errorText(error)}); booting a fresh guest per case`);
      return errorText(error);
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

/** What QEMU says when the stream itself does not fit the machine: a second restore would fail the same way. */
const STREAM_MISMATCH = /Unknown ramblock|Length mismatch|Unknown savevm section|section.*mismatch|Missing section footer|load of migration failed/i;

/** QEMU exited while restoring (not a timeout, not a stream that does not fit): worth one more try. */
function qemuDied(error: unknown): boolean {
  return error instanceof HarnessError && error.kind === 'qemu' && /^QEMU exited/.test(error.message) && !STREAM_MISMATCH.test(error.message);
}
