import os from 'node:os';
import type { GuestSpec } from '../vm/guest-spec.ts';

export interface HostCapacity {
  cpus: number;
  /** Memory available for new processes, MiB. */
  availableMiB: number;
}

export interface WorkerChoice {
  workers: number;
  reason: string;
}

/** What the harness itself, the page cache and the shell need besides the guests. */
const HOST_RESERVE_MIB = 1024;
/** QEMU's own share beside guest RAM (TCG translation cache, device state, the snapshot stream). */
const QEMU_OVERHEAD_MIB = 256;

export function hostCapacity(): HostCapacity {
  return { cpus: os.availableParallelism(), availableMiB: Math.floor(os.freemem() / 1024 ** 2) };
}

/**
 * `--workers auto`: one guest per host CPU (a TCG guest runs on one host thread: the harness
 * uses thread=single), no more guests than fit in memory if each touched all of its RAM, no
 * more than there are cases. Always at least one.
 */
export function chooseWorkers(specs: readonly GuestSpec[], cases: number, host: HostCapacity = hostCapacity()): WorkerChoice {
  const largestMiB = Math.max(0, ...specs.map((spec) => spec.memoryMiB)) + QEMU_OVERHEAD_MIB;
  const byMemory = Math.max(1, Math.floor((host.availableMiB - HOST_RESERVE_MIB) / largestMiB));
  const limits = [
    { workers: host.cpus, why: `${host.cpus} host CPU(s)` },
    { workers: byMemory, why: `${host.availableMiB} MiB free for guests of up to ${largestMiB} MiB` },
    { workers: cases, why: `${cases} case(s) to run` },
  ];
  const tightest = limits.reduce((a, b) => (b.workers < a.workers ? b : a));
  return { workers: Math.max(1, tightest.workers), reason: `auto, limited by ${tightest.why}` };
}
