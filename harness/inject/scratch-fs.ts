import { HarnessError } from '../util/errors.ts';
import type { Guest } from '../vm/guest.ts';

/** Where page-cache targets live: a real block device, so dirty pages have writeback. */
export const SCRATCH_MOUNT = '/mnt/scratch';

/**
 * Modules the block-backed scratch filesystem needs; a spec with page-cache targets loads
 * them. ext4 asks the crypto API for crc32c through a soft dependency, which busybox's
 * modprobe does not follow, so it is listed ahead of ext4.
 */
export const SCRATCH_FS_MODULES = ['brd', 'crc32c_generic', 'ext4'] as const;

/** The brd RAM disk's size: room for many one-page target files. */
export const SCRATCH_FS_SIZE_MIB = 64;

/**
 * A RAM disk (brd) with an ext2 filesystem mounted by the ext4 driver (Debian builds have
 * EXT4_USE_FOR_EXT2): block-backed page cache whose lost dirty pages must surface as EIO on
 * fsync, unlike tmpfs/shmem. busybox's mke2fs is what the guest has. Idempotent.
 */
export async function ensureScratchFs(guest: Guest, sizeMiB = SCRATCH_FS_SIZE_MIB): Promise<string> {
  const script = [
    `grep -q ' ${SCRATCH_MOUNT} ' /proc/mounts && exit 0`,
    `[ -b /dev/ram0 ] || modprobe brd rd_nr=1 rd_size=${sizeMiB * 1024} || exit 11`,
    `for m in ${SCRATCH_FS_MODULES.join(' ')}; do modprobe $m 2>/dev/null; done`,
    'mke2fs -q /dev/ram0 >/dev/null || exit 12',
    `mkdir -p ${SCRATCH_MOUNT}`,
    `mount -t ext4 /dev/ram0 ${SCRATCH_MOUNT} || exit 13`,
  ].join('\n');
  const result = await guest.exec(script, { timeoutMs: 120_000 });
  if (result.exitCode !== 0) {
    const stage = { 11: 'loading brd', 12: 'mke2fs', 13: 'mounting ext4' }[result.exitCode ?? 0] ?? `exit ${result.exitCode}`;
    throw new HarnessError('guest', `cannot set up the scratch filesystem in the guest (${stage}): ${result.stderr.trim()}`, {
      hint: `the guest needs the modules ${SCRATCH_FS_MODULES.join(', ')} (a suite lists them under guest.modules)`,
    });
  }
  return SCRATCH_MOUNT;
}
