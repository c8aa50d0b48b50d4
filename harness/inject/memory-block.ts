import { writeGuestFile } from './guest-write.ts';
import { consoleNow, type InjectionResult } from './injection.ts';
import type { Guest } from '../vm/guest.ts';

export const BLOCK_STATES = ['offline', 'online', 'online_movable', 'online_kernel'] as const;
export type BlockStateRequest = (typeof BLOCK_STATES)[number];

export interface BlockStateChange {
  block: string;
  requested: BlockStateRequest;
  action: string;
  startedAtMs: number;
  endedAtMs: number;
  result: InjectionResult;
  /** The block's state as read back after the write. */
  stateAfter: string;
}

/** Offlines or onlines one memory block through sysfs; the errno is the result (EBUSY, EHWPOISON...). */
export async function setMemoryBlockState(guest: Guest, block: string, requested: BlockStateRequest): Promise<BlockStateChange> {
  if (!/^memory\d+$/.test(block)) throw new Error(`not a memory block name: ${block}`);
  const path = `/sys/devices/system/memory/${block}/state`;
  const startedAtMs = consoleNow(guest);
  const result = await writeGuestFile(guest, path, requested);
  const endedAtMs = consoleNow(guest);
  const stateAfter = (await guest.exec(`cat ${path}`)).stdout.trim();
  return { block, requested, action: `echo ${requested} > ${path}`, startedAtMs, endedAtMs, result, stateAfter };
}

/** The memory block that holds a PFN (block size from the guest's sysfs). */
export function blockOfPfn(pfn: bigint, blockSizeBytes: number): string {
  return `memory${(pfn * 4096n) / BigInt(blockSizeBytes)}`;
}
