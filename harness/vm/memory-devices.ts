import { setTimeout as sleep } from 'node:timers/promises';
import type { Guest } from './guest.ts';
import { QmpError, type QmpClient, type QmpEvent } from './qmp-client.ts';

/**
 * Memory devices at runtime, through QMP: DIMM hot-add and unplug, virtio-mem resizing, and
 * where each device's memory lies. Every wait has a deadline and ends in an outcome (done,
 * refused, stalled), never in a hang: a refused unplug or a stalled resize is something the
 * guest kernel decided, and the outcome says what it said.
 */

export const MIB = 1024n * 1024n;

export interface MemoryDeviceInfo {
  id: string;
  /** QMP's type: dimm, nvdimm, virtio-mem, virtio-pmem. */
  type: string;
  /** Guest physical address of the device's memory region. */
  start: bigint;
  /** The region's length: a DIMM's size, a virtio-mem device's max-size. */
  length: bigint;
  /** virtio-mem: the plugged size now. */
  plugged: bigint | null;
  node: number | null;
}

interface QmpMemoryDevice {
  type: string;
  data: { id?: string; addr?: number; memaddr?: number; size?: number; 'max-size'?: number; node?: number };
}

export async function queryMemoryDevices(qmp: QmpClient): Promise<MemoryDeviceInfo[]> {
  const devices = await qmp.execute<QmpMemoryDevice[]>('query-memory-devices');
  return devices.map(({ type, data }) => ({
    id: data.id ?? '',
    type,
    start: BigInt(data.addr ?? data.memaddr ?? 0),
    length: BigInt(type === 'virtio-mem' ? (data['max-size'] ?? 0) : (data.size ?? 0)),
    plugged: type === 'virtio-mem' ? BigInt(data.size ?? 0) : null,
    node: data.node ?? null,
  }));
}

export async function memoryDevice(qmp: QmpClient, id: string): Promise<MemoryDeviceInfo> {
  const devices = await queryMemoryDevices(qmp);
  const device = devices.find((candidate) => candidate.id === id);
  if (!device) throw new Error(`the guest has no memory device '${id}' (it has: ${devices.map((d) => `${d.id} (${d.type})`).join(', ') || 'none'})`);
  return device;
}

/** The guest's memory block size (/sys/devices/system/memory/block_size_bytes). */
export async function blockSizeBytes(guest: Guest): Promise<bigint> {
  const result = await guest.exec('cat /sys/devices/system/memory/block_size_bytes');
  const text = result.stdout.trim();
  if (!/^[0-9a-fA-F]+$/.test(text)) throw new Error(`cannot read the memory block size: ${result.stderr.trim() || text || 'empty'}`);
  return BigInt(`0x${text}`);
}

/** Block numbers covering [start, start + length). */
export function blocksOfRange(start: bigint, length: bigint, blockBytes: bigint): number[] {
  if (length <= 0n) return [];
  const first = start / blockBytes;
  const last = (start + length - 1n) / blockBytes;
  const out: number[] = [];
  for (let block = first; block <= last; block++) out.push(Number(block));
  return out;
}

/** Collapses block numbers into lsmem-like text: memory40-41, memory44. */
export function describeBlocks(blocks: readonly number[]): string {
  if (blocks.length === 0) return 'no blocks';
  const sorted = [...blocks].sort((a, b) => a - b);
  const runs: string[] = [];
  let first = sorted[0]!;
  let previous = first;
  for (const block of [...sorted.slice(1), Number.NaN]) {
    if (block === previous + 1) {
      previous = block;
      continue;
    }
    runs.push(first === previous ? `memory${first}` : `memory${first}-${previous}`);
    first = previous = block;
  }
  return runs.join(', ');
}

/** ACPI _OST status codes (ACPI 6.x, table "_OST Status Codes"), as QEMU reports them. */
export function ostStatusName(status: number): string {
  const names: Record<number, string> = {
    0: 'success',
    1: 'non-specific failure',
    2: 'unrecognized notify',
    0x80: 'ejection not supported by OSPM',
    0x81: 'device in use by application',
    0x82: 'device busy',
    0x83: 'ejection dependency busy or not supported',
    0x84: 'ejection in progress',
  };
  return `0x${status.toString(16)} (${names[status] ?? 'unknown'})`;
}

/** _OST source events: 1 device check (insertion), 3 eject request. */
const OST_INSERT = 1;
const OST_EJECT = 3;
const OST_SUCCESS = 0;
const OST_EJECT_IN_PROGRESS = 0x84;

interface OstInfo {
  device?: string;
  source: number;
  status: number;
}

function ostOf(event: QmpEvent): OstInfo | null {
  if (event.event !== 'ACPI_DEVICE_OST') return null;
  const info = (event.data?.['info'] ?? null) as OstInfo | null;
  return info && typeof info.source === 'number' && typeof info.status === 'number' ? info : null;
}

/** Collects QMP events from now on, until stopped: a waiter that cannot miss one. */
function recordEvents(qmp: QmpClient): { events: QmpEvent[]; next: (match: (event: QmpEvent) => boolean, timeoutMs: number) => Promise<QmpEvent | null>; stop: () => void } {
  const events: QmpEvent[] = [];
  const waiters = new Set<() => void>();
  const onEvent = (event: QmpEvent) => {
    events.push(event);
    for (const wake of waiters) wake();
  };
  qmp.on('event', onEvent);
  return {
    events,
    next(match, timeoutMs) {
      const found = events.find(match);
      if (found) return Promise.resolve(found);
      return new Promise((resolve) => {
        const done = (value: QmpEvent | null) => {
          clearTimeout(timer);
          waiters.delete(wake);
          resolve(value);
        };
        const wake = () => {
          const hit = events.find(match);
          if (hit) done(hit);
        };
        const timer = setTimeout(() => done(null), Math.max(0, timeoutMs));
        waiters.add(wake);
      });
    },
    stop() {
      qmp.off('event', onEvent);
      waiters.clear();
    },
  };
}

export interface DeviceChange {
  ok: boolean;
  /** Why it failed, was refused or stalled; null on success. */
  reason: string | null;
  summary: string;
}

export interface DimmAdded extends DeviceChange {
  blocks: number[];
  start: bigint | null;
}

function qmpText(error: unknown): string {
  return error instanceof QmpError ? `${error.errorClass}: ${error.description}` : error instanceof Error ? error.message : String(error);
}

/**
 * Hot-adds a pc-dimm: a RAM backend `mem-ID`, then the device; waits until the guest lists
 * every memory block of it in sysfs (or its ACPI _OST says the insertion failed, or the
 * deadline passes). The guest's device set changes: it is marked unfit for a snapshot.
 */
export async function addDimm(guest: Guest, options: { id: string; sizeMiB: number; node: number | null; withinMs: number }): Promise<DimmAdded> {
  const qmp = guest.machine.qmp;
  const backend = `mem-${options.id}`;
  const recorder = recordEvents(qmp);
  const deadline = Date.now() + options.withinMs;
  const failed = (reason: string): DimmAdded => ({ ok: false, reason, blocks: [], start: null, summary: `adding DIMM ${options.id} failed: ${reason}` });
  try {
    try {
      await qmp.execute('object-add', { 'qom-type': 'memory-backend-ram', id: backend, size: options.sizeMiB * 1024 * 1024 });
    } catch (error) {
      return failed(`QEMU refused the backend: ${qmpText(error)}`);
    }
    try {
      await qmp.execute('device_add', { driver: 'pc-dimm', id: options.id, memdev: backend, ...(options.node !== null ? { node: options.node } : {}) });
    } catch (error) {
      await qmp.execute('object-del', { id: backend }).catch(() => undefined);
      return failed(`QEMU refused the device: ${qmpText(error)}`);
    }
    guest.markUnfitForSnapshot(`DIMM ${options.id} was hot-added: the device set differs from the boot's`);
    const device = await memoryDevice(qmp, options.id);
    const blockBytes = await blockSizeBytes(guest);
    const blocks = blocksOfRange(device.start, device.length, blockBytes);
    const where = `${options.sizeMiB} MiB at 0x${device.start.toString(16)}${device.node !== null ? `, node ${device.node}` : ''}`;
    const test = blocks.map((block) => `[ -d /sys/devices/system/memory/memory${block} ]`).join(' && ');
    for (;;) {
      const ost = recorder.events.map(ostOf).find((info) => info?.device === options.id && info.source === OST_INSERT && info.status !== OST_SUCCESS);
      if (ost) return { ...failed(`the guest's ACPI _OST for the insertion is ${ostStatusName(ost.status)}`), start: device.start };
      const seen = await guest.exec(`${test} && for b in ${blocks.map((b) => `memory${b}`).join(' ')}; do cat /sys/devices/system/memory/$b/state; done`);
      if (seen.exitCode === 0) {
        const states = [...new Set(seen.stdout.trim().split('\n'))].join('/');
        return { ok: true, reason: null, blocks, start: device.start, summary: `added DIMM ${options.id} (${where}): ${describeBlocks(blocks)} ${states}` };
      }
      if (Date.now() >= deadline) return { ...failed(`the guest did not list ${describeBlocks(blocks)} within ${options.withinMs / 1000} s (${where})`), start: device.start };
      await sleep(250);
    }
  } finally {
    recorder.stop();
  }
}

/**
 * Unplugs a DIMM: device_del, then the guest offlines and ejects it (DEVICE_DELETED, after
 * which the backend `mem-ID` is deleted) or refuses (an ACPI _OST for the eject request
 * with a failure status). A refusal's reason is the _OST status plus what the guest logged
 * about it (`guestLog()` returns the kernel log lines since the request).
 */
export async function removeDimm(guest: Guest, options: { id: string; withinMs: number; guestLog: () => string[] }): Promise<DeviceChange> {
  const qmp = guest.machine.qmp;
  const recorder = recordEvents(qmp);
  try {
    try {
      await qmp.execute('device_del', { id: options.id });
    } catch (error) {
      return { ok: false, reason: `QEMU refused device_del: ${qmpText(error)}`, summary: `device_del ${options.id} refused by QEMU: ${qmpText(error)}` };
    }
    // Whatever the guest answers, QEMU's device state is no longer the boot's.
    guest.markUnfitForSnapshot(`DIMM ${options.id} was unplugged (or asked to be)`);
    const outcome = await recorder.next((event) => {
      if (event.event === 'DEVICE_DELETED') return event.data?.['device'] === options.id;
      const ost = ostOf(event);
      return ost !== null && ost.device === options.id && ost.source === OST_EJECT && ost.status !== OST_SUCCESS && ost.status !== OST_EJECT_IN_PROGRESS;
    }, options.withinMs);
    if (outcome?.event === 'DEVICE_DELETED') {
      try {
        await qmp.execute('object-del', { id: `mem-${options.id}` });
      } catch (error) {
        return { ok: true, reason: null, summary: `DIMM ${options.id} unplugged; its backend stays (${qmpText(error)})` };
      }
      return { ok: true, reason: null, summary: `DIMM ${options.id} unplugged (DEVICE_DELETED) and its backend deleted` };
    }
    // The guest prints why after (or while) it answers: give its log a moment.
    await sleep(1_000);
    const said = explainRefusal(options.guestLog());
    if (outcome) {
      const ost = ostOf(outcome)!;
      const reason = `the guest refused the unplug: ACPI _OST status ${ostStatusName(ost.status)}${said ? `; guest log: ${said}` : ''}`;
      return { ok: false, reason, summary: reason };
    }
    const osts = recorder.events.map(ostOf).filter((info): info is OstInfo => info !== null && info.device === options.id);
    const reason = `no DEVICE_DELETED for ${options.id} within ${options.withinMs / 1000} s${osts.length ? ` (ACPI _OST: ${osts.map((o) => `source ${o.source} status ${ostStatusName(o.status)}`).join(', ')})` : ' (no ACPI _OST either)'}${said ? `; guest log: ${said}` : ''}`;
    return { ok: false, reason, summary: reason };
  } finally {
    recorder.stop();
  }
}

/** The kernel's words about a failed offline/eject, deduplicated, in order. */
export function explainRefusal(lines: readonly string[]): string {
  const wanted = /Offline failed|page dumped because|memory offlining .* failed|failed due to|migrating pfn .* failed|acpi.*(eject|hotplug|memory).*fail|Device is busy|offline_pages|Memory hot-remove/i;
  const picked = [...new Set(lines.map((line) => line.trim()).filter((line) => wanted.test(line)))];
  return picked.slice(0, 6).join('; ');
}

export interface VirtioMemResize extends DeviceChange {
  /** The plugged size when the step ended; null when QEMU refused the request. */
  pluggedMiB: number | null;
}

/**
 * Sets a virtio-mem device's requested-size and polls its plugged `size` until they agree or
 * the deadline passes; then the outcome says where it stalled. The guest driver retries a
 * failed unplug on a timer (tens of seconds), so a deadline shorter than that reports a stall
 * the driver might still have overcome.
 */
export async function resizeVirtioMem(guest: Guest, options: { id: string; requestedMiB: number; withinMs: number }): Promise<VirtioMemResize> {
  const qmp = guest.machine.qmp;
  const path = `/machine/peripheral/${options.id}`;
  const requested = BigInt(options.requestedMiB) * MIB;
  const started = Date.now();
  let before: bigint;
  try {
    before = BigInt(await qmp.execute<number>('qom-get', { path, property: 'size' }));
    await qmp.execute('qom-set', { path, property: 'requested-size', value: Number(requested) });
  } catch (error) {
    const reason = `QEMU refused the resize of ${options.id}: ${qmpText(error)}`;
    return { ok: false, reason, pluggedMiB: null, summary: reason };
  }
  // The plugged memory differs from the boot's (and QEMU's requested-size no longer matches
  // the command line a snapshot would restore with).
  guest.markUnfitForSnapshot(`virtio-mem ${options.id} was resized`);
  let size = before;
  for (;;) {
    size = BigInt(await qmp.execute<number>('qom-get', { path, property: 'size' }));
    if (size === requested) {
      const ms = Date.now() - started;
      return { ok: true, reason: null, pluggedMiB: Number(size / MIB), summary: `virtio-mem ${options.id}: ${before / MIB} → ${size / MIB} MiB plugged in ${(ms / 1000).toFixed(1)} s` };
    }
    if (Date.now() - started >= options.withinMs) break;
    await sleep(500);
  }
  const reason = `stalled: requested ${options.requestedMiB} MiB, plugged ${size / MIB} MiB after ${options.withinMs / 1000} s (from ${before / MIB} MiB)`;
  return { ok: false, reason, pluggedMiB: Number(size / MIB), summary: `virtio-mem ${options.id} ${reason}` };
}
