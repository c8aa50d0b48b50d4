import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { qemuVersion } from '../host/qemu-version.ts';
import type { PreparedKernel } from '../kernel/prepared-kernel.ts';
import { HarnessError } from '../util/errors.ts';
import type { Guest, GuestLaunchInputs } from './guest.ts';
import type { GuestSpec } from './guest-spec.ts';
import type { Accelerator } from './qemu-args.ts';

/**
 * Everything a restore needs besides the migration stream itself. The stream holds the guest's
 * RAM and device state, including the SSH host key and authorized key the init baked in, so
 * the keys recorded here are the only ones that will ever open the restored guests.
 */
export interface GuestSnapshot {
  /** Absolute path of the migration stream. */
  file: string;
  sizeBytes: number;
  /** Wall-clock ms epoch when the stream was complete (the restored guest's clock says this). */
  savedAt: number;
  /** `migrate` → query-migrate completed. */
  saveMs: number;
  /** QEMU's own count of guest RAM bytes sent and the VM downtime at the switch-over. */
  migration: { transferredBytes: number | null; downtimeMs: number | null; totalTimeMs: number | null };
  qemuVersion: string;
  name: string;
  spec: GuestSpec;
  kernel: PreparedKernel;
  accel: Accelerator;
  launch: GuestLaunchInputs;
  /** The source's QEMU arguments (without -incoming): the reference a restore is checked against. */
  qemuArgs: string[];
  /** The guest had passed its init's ready line and answered SSH when it was saved. */
  initReady: boolean;
  /** What a restore must find in guest RAM to be this template (checkRestoredIdentity); absent for guests without SSH. */
  identity?: TemplateIdentity;
  unameRelease: string | null;
}

export interface SaveSnapshotOptions {
  /** Deadline for the migration to complete. */
  timeoutMs?: number;
  /** After the save the source QEMU sits in `postmigrate` (paused); by default it is resumed so
   *  the saved guest keeps working. */
  resumeSource?: boolean;
}

/** Paths go through /bin/sh inside QEMU's `exec:` URI: only plain characters are accepted. */
const SAFE_PATH = /^\/[A-Za-z0-9_./+@-]+$/;

export function checkSnapshotPath(file: string): string {
  const absolute = path.resolve(file);
  if (!SAFE_PATH.test(absolute) || absolute.split('/').includes('..')) {
    throw new HarnessError('usage', `snapshot path ${JSON.stringify(absolute)} has characters that are not allowed`, {
      hint: 'use letters, digits and _ . / + @ - only: the path is handed to /bin/sh by QEMU',
    });
  }
  return absolute;
}

/** A path already checked by checkSnapshotPath, single-quoted for /bin/sh. */
export function shellQuotePath(file: string): string {
  return `'${checkSnapshotPath(file)}'`;
}

interface MigrationInfo {
  status?: string;
  'error-desc'?: string;
  'total-time'?: number;
  downtime?: number;
  ram?: { transferred?: number };
}

/**
 * Saves a running, ready guest to `file` by live migration into `cat`: the guest keeps
 * running while its RAM is copied and is stopped only for the final switch-over, then (by
 * default) resumed. Refuses a guest that took a machine check or changed its devices (unfit for a snapshot): a snapshot of it
 * would hand every later case a tainted kernel.
 */
export async function saveSnapshot(guest: Guest, file: string, options: SaveSnapshotOptions = {}): Promise<GuestSnapshot> {
  const target = checkSnapshotPath(file);
  if (!guest.fitForSnapshot) {
    throw new HarnessError('usage', `guest ${guest.name} cannot be snapshotted: ${guest.unfitForSnapshotBecause ?? 'unfit for a snapshot'}`, {
      hint: 'snapshot a guest before it takes a machine check',
    });
  }
  if (!guest.machine.isRunning) throw new HarnessError('usage', `guest ${guest.name} is not running: nothing to snapshot`);
  if (!guest.launch) throw new HarnessError('usage', `guest ${guest.name} was not started by Guest.boot or a restore: its launch inputs are unknown`);
  if (guest.spec.ssh && guest.unameRelease === null) throw new HarnessError('usage', `guest ${guest.name} never answered SSH: snapshot a ready guest only`);
  const qmp = guest.machine.qmp;
  const status = await qmp.execute<{ status: string }>('query-status');
  if (status.status !== 'running') {
    throw new HarnessError('usage', `guest ${guest.name} is ${status.status}, not running: snapshot a running guest only`);
  }

  const identity = guest.spec.ssh ? await stampIdentity(guest) : undefined;
  await fs.mkdir(path.dirname(target), { recursive: true });
  const partial = `${target}.partial`;
  await fs.rm(partial, { force: true });
  const version = await qemuVersion();
  const deadline = Date.now() + (options.timeoutMs ?? 120_000);
  // QEMU 7.2 caps migration at 32 MiB/s by default: lift it, a file is not a network link.
  await qmp.execute('migrate-set-parameters', { 'max-bandwidth': 64 * 1024 ** 3, 'downtime-limit': 300 });
  // Copy-on-write template: the stream then carries device state and non-file RAM (DIMMs,
  // virtio-mem) only, the boot RAM being the file. The restore sets the same capability (it
  // changes the stream's layout); QEMU 7.2 has no command-line property for it.
  if (guest.launch.ramDir) await qmp.execute('migrate-set-capabilities', { capabilities: [{ capability: 'x-ignore-shared', state: true }] });
  const started = Date.now();
  await qmp.execute('migrate', { uri: `exec:cat > ${shellQuotePath(partial)}` });
  let info: MigrationInfo = {};
  for (;;) {
    info = await qmp.execute<MigrationInfo>('query-migrate');
    if (info.status === 'completed') break;
    if (info.status === 'failed' || info.status === 'cancelled') {
      await fs.rm(partial, { force: true });
      await resume(guest, options);
      throw new HarnessError('qemu', `saving guest ${guest.name} failed: migration ${info.status}${info['error-desc'] ? `: ${info['error-desc']}` : ''}`);
    }
    if (!guest.machine.isRunning) {
      await fs.rm(partial, { force: true });
      const exit = await guest.machine.exited;
      throw new HarnessError('qemu', `QEMU exited while saving guest ${guest.name}: ${exit.stderr.trim().slice(0, 500)}`);
    }
    if (Date.now() > deadline) {
      await qmp.execute('migrate_cancel').catch(() => undefined);
      await fs.rm(partial, { force: true });
      await resume(guest, options);
      throw new HarnessError('timeout', `saving guest ${guest.name} did not complete within ${options.timeoutMs ?? 120_000} ms (status ${info.status ?? 'unknown'})`);
    }
    await sleep(20);
  }
  const saveMs = Date.now() - started;
  const savedAt = Date.now();
  // `completed` is reported once QEMU has written everything into the pipe; `cat` may still
  // be flushing. The stream's size settles within moments.
  const sizeBytes = await settledSize(partial, Date.now() + 10_000);
  await fs.rename(partial, target);
  // A copy-on-write template's RAM is the file every restore maps: it must stay as saved, so
  // the template never runs again (the caller ends it).
  if (!guest.launch.ramDir) await resume(guest, options);

  const snapshot: GuestSnapshot = {
    file: target,
    sizeBytes,
    savedAt,
    saveMs,
    migration: {
      transferredBytes: info.ram?.transferred ?? null,
      downtimeMs: info.downtime ?? null,
      totalTimeMs: info['total-time'] ?? null,
    },
    qemuVersion: version,
    name: guest.name,
    spec: guest.spec,
    kernel: guest.kernel,
    accel: guest.accel,
    launch: guest.launch,
    qemuArgs: [...guest.machine.args.slice(0, incomingIndex(guest.machine.args))],
    initReady: true,
    unameRelease: guest.unameRelease,
    ...(identity ? { identity } : {}),
  };
  await writeSnapshotManifest(snapshot);
  return snapshot;
}

async function resume(guest: Guest, options: SaveSnapshotOptions): Promise<void> {
  if (options.resumeSource === false || !guest.machine.isRunning) return;
  const status = await guest.machine.qmp.execute<{ status: string }>('query-status');
  if (status.status !== 'running') await guest.machine.qmp.execute('cont');
}

function incomingIndex(args: readonly string[]): number {
  const index = args.indexOf('-incoming');
  return index === -1 ? args.length : index;
}

async function settledSize(file: string, deadline: number): Promise<number> {
  let last = -1;
  for (;;) {
    const size = (await fs.stat(file)).size;
    if (size === last || Date.now() > deadline) return size;
    last = size;
    await sleep(25);
  }
}

/** `FILE.json` next to the stream: the snapshot without live objects (keys included, mode 0600). */
export function manifestPath(file: string): string {
  return `${file}.json`;
}

async function writeSnapshotManifest(snapshot: GuestSnapshot): Promise<void> {
  const json = JSON.stringify(snapshot, (_key, value: unknown) => {
    if (value && typeof value === 'object' && (value as { type?: unknown }).type === 'Buffer' && Array.isArray((value as { data?: unknown }).data)) {
      return { $base64: Buffer.from((value as { data: number[] }).data).toString('base64') };
    }
    return value;
  }, 2);
  await fs.writeFile(manifestPath(snapshot.file), json + '\n', { mode: 0o600 });
}

/** Reads the manifest saveSnapshot wrote next to `file`. */
export async function loadSnapshot(file: string): Promise<GuestSnapshot> {
  const target = checkSnapshotPath(file);
  let text: string;
  try {
    text = await fs.readFile(manifestPath(target), 'utf8');
  } catch (error) {
    throw new HarnessError('usage', `no snapshot manifest ${manifestPath(target)}: ${error instanceof Error ? error.message : String(error)}`);
  }
  return JSON.parse(text, (_key, value: unknown) => {
    if (value && typeof value === 'object' && typeof (value as { $base64?: unknown }).$base64 === 'string') {
      return Buffer.from((value as { $base64: string }).$base64, 'base64');
    }
    return value;
  }) as GuestSnapshot;
}

/**
 * A restore must be its template and nothing else (a stale RAM file, a stream of another
 * group, a guest that ran on after the save would each pass for one): a nonce written into
 * guest RAM just before the save, and the memory-error state it had then.
 */
export interface TemplateIdentity {
  nonce: string;
  /** /proc/meminfo HardwareCorrupted (kB): the hwpoisoned pages, 0 in a clean template. */
  hardwareCorruptedKiB: number;
}

const NONCE_FILE = '/run/memharness-template-nonce';

async function stampIdentity(guest: Guest): Promise<TemplateIdentity> {
  const nonce = randomBytes(12).toString('hex');
  const result = await guest.exec(`mkdir -p /run && echo ${nonce} > ${NONCE_FILE} && ${IDENTITY_PROBE}`, { timeoutMs: 30_000 });
  const probed = parseIdentityLine(result.stdout.trim().split('\n').at(-1) ?? '');
  if (result.exitCode !== 0 || !probed || probed.nonce !== nonce) {
    throw new HarnessError('guest', `could not stamp the template with its nonce (exit ${result.exitCode}): ${result.stderr.trim().slice(0, 200)}`);
  }
  return { nonce, hardwareCorruptedKiB: probed.hardwareCorruptedKiB };
}

/**
 * The restore's first command: sets the clock (printing it back) and reads the nonce and
 * HardwareCorrupted with shell builtins only, since every process a cold restored TCG guest
 * starts costs tens of ms. Prints `mh-identity NONCE EPOCH HARDWARE_CORRUPTED_KB`.
 */
export function identityCommand(hostEpoch: number | null): string {
  const clock = hostEpoch === null ? 'e=$(date +%s)' : `e=$(date -u -s @${hostEpoch} +%s)`;
  return [
    clock,
    `{ read -r n < ${NONCE_FILE} || n=none; }`,
    'h=none; while read -r k v u; do [ "$k" = HardwareCorrupted: ] && h=$v; done < /proc/meminfo',
    'echo "mh-identity $n $e $h"',
  ].join('; ');
}

export const IDENTITY_PROBE = identityCommand(null);

export function parseIdentityLine(line: string): { nonce: string; epoch: number; hardwareCorruptedKiB: number } | null {
  const match = /^mh-identity (\S+) (\d+) (\d+)$/.exec(line.trim());
  return match ? { nonce: match[1]!, epoch: Number(match[2]), hardwareCorruptedKiB: Number(match[3]) } : null;
}

/** Why a restored guest is not its template (nonce, clock, memory-error state), or null when it is. */
export function identityMismatch(expected: TemplateIdentity, lines: readonly string[], hostEpoch: number): string | null {
  const probed = lines.map(parseIdentityLine).find((value) => value !== null);
  if (!probed) return 'the restored guest did not answer the identity probe';
  if (probed.nonce !== expected.nonce) return `the restored guest holds nonce ${probed.nonce}, its template ${expected.nonce}: it is not the saved guest`;
  if (Math.abs(probed.epoch - hostEpoch) > 5) return `the restored guest's clock says ${probed.epoch}, the host ${hostEpoch}: setting it after the restore failed`;
  if (probed.hardwareCorruptedKiB !== expected.hardwareCorruptedKiB) return `the restored guest has HardwareCorrupted ${probed.hardwareCorruptedKiB} kB, its template ${expected.hardwareCorruptedKiB} kB`;
  return null;
}
