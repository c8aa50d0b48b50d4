import fs from 'node:fs/promises';
import { HarnessError } from '../util/errors.ts';
import { BZIMAGE_HEAD_BYTES, hasSetupHeader, parseBzImageHeader, type BzImageHeader } from './bzimage.ts';
import { EM_X86_64, hasPvhEntryNote, isElf, parseElfHeader, readLinuxBanner } from './elf.ts';

/** A kernel image file given by path, identified by its content (never by its name). */
export type KernelFile =
  | { kind: 'bzImage'; path: string; release: string; header: BzImageHeader }
  | { kind: 'vmlinux'; path: string; release: string; banner: string; pvh: boolean };

export async function readHead(file: string, bytes = BZIMAGE_HEAD_BYTES): Promise<Buffer> {
  const handle = await fs.open(file, 'r');
  try {
    const buffer = Buffer.alloc(bytes);
    const { bytesRead } = await handle.read(buffer, 0, bytes, 0);
    return buffer.subarray(0, bytesRead);
  } finally {
    await handle.close();
  }
}

function notAKernel(file: string, found: string, hint?: string): HarnessError {
  return new HarnessError(
    'kernel',
    `${file} is not a bootable x86-64 kernel: found ${found}`,
    { hint: hint ?? 'give an x86 bzImage (arch/x86/boot/bzImage, /boot/vmlinuz-*), an ELF vmlinux, or a kernel build tree' },
  );
}

/**
 * Reads the release from a bzImage's setup header or an ELF vmlinux's "Linux version"
 * banner. Anything else is a 'kernel' error that says what the file actually is.
 */
export async function identifyKernelFile(file: string): Promise<KernelFile> {
  const head = await readHead(file);
  if (hasSetupHeader(head)) {
    let header: BzImageHeader;
    try {
      header = parseBzImageHeader(head);
    } catch (error) {
      throw notAKernel(file, `an x86 boot image with an unusable setup header (${(error as Error).message})`);
    }
    return { kind: 'bzImage', path: file, release: header.release, header };
  }
  if (isElf(head)) {
    const elf = parseElfHeader(head);
    if (elf.machine !== EM_X86_64 || !elf.class64) {
      throw notAKernel(file, `an ELF file for ${elf.machineName}${elf.class64 ? '' : ' (32-bit)'}`);
    }
    if (elf.type !== 2) {
      throw notAKernel(file, `an x86-64 ELF ${elf.type === 3 ? 'shared object or PIE program' : `file of type ${elf.type}`}, not a vmlinux (which is ET_EXEC)`);
    }
    const banner = await readLinuxBanner(file);
    if (!banner) throw notAKernel(file, 'an x86-64 ELF executable without a "Linux version" banner');
    const pvh = await hasPvhEntryNote(file);
    if (!pvh) {
      throw new HarnessError(
        'kernel',
        `${file} is a vmlinux for ${banner.release} without a PVH entry note (built without CONFIG_PVH), which QEMU cannot boot directly`,
        { hint: 'give the bzImage of the same build (arch/x86/boot/bzImage), or rebuild with CONFIG_PVH=y' },
      );
    }
    return { kind: 'vmlinux', path: file, release: banner.release, banner: banner.banner, pvh };
  }
  throw notAKernel(file, describeContent(head));
}

/** Names common non-kernel contents so the error says what was given instead. */
export function describeContent(head: Buffer): string {
  if (head.length === 0) return 'an empty file';
  const starts = (hex: string): boolean => head.subarray(0, hex.length / 2).equals(Buffer.from(hex, 'hex'));
  if (head.length >= 0x3c && head.toString('latin1', 0x38, 0x3c) === 'ARM\x64') return 'an arm64 kernel Image';
  if (head.length >= 0x40 && head.toString('latin1', 0x38, 0x3c) === 'RSC\x05') return 'a RISC-V kernel Image';
  if (starts('1f8b')) return 'gzip-compressed data (an initramfs or a compressed file?)';
  if (starts('fd377a585a00')) return 'xz-compressed data';
  if (starts('28b52ffd')) return 'zstd-compressed data';
  if (starts('425a68')) return 'bzip2-compressed data';
  if (head.toString('latin1', 0, 6) === '070701' || head.toString('latin1', 0, 6) === '070702') return 'a cpio archive (an initramfs?)';
  if (head.toString('latin1', 0, 8) === '!<arch>\n') return 'a Debian package or ar archive (unpack it with dpkg-deb -x)';
  if (head.length >= 2 && head.toString('latin1', 0, 2) === 'MZ') return 'a PE/EFI executable without an x86 setup header';
  const sample = head.subarray(0, 512);
  const printable = sample.filter((b) => b === 9 || b === 10 || b === 13 || (b >= 32 && b < 127)).length;
  if (printable === sample.length) {
    const firstLine = sample.toString('latin1').split('\n', 1)[0]?.slice(0, 60) ?? '';
    return `a text file ("${firstLine}")`;
  }
  return `unrecognised data (first bytes: ${head.subarray(0, 8).toString('hex').replace(/(..)/g, '$1 ').trim()})`;
}
