import fs from 'node:fs/promises';

/** Just what the harness needs to know about an ELF file that may be a vmlinux. */
export interface ElfInfo {
  class64: boolean;
  littleEndian: boolean;
  /** ET_EXEC = 2 (a vmlinux), ET_DYN = 3 (PIE programs, shared libraries). */
  type: number;
  machine: number;
  machineName: string;
}

export const EM_X86_64 = 62;
const MACHINES: Record<number, string> = { 3: 'i386', 40: 'arm', 62: 'x86-64', 183: 'aarch64', 243: 'riscv', 21: 'ppc64', 22: 's390' };

export function isElf(head: Buffer): boolean {
  return head.length >= 4 && head.readUInt32BE(0) === 0x7f454c46;
}

export function parseElfHeader(head: Buffer): ElfInfo {
  if (!isElf(head) || head.length < 64) throw new Error('not an ELF file');
  const class64 = head[4] === 2;
  const littleEndian = head[5] === 1;
  const type = littleEndian ? head.readUInt16LE(16) : head.readUInt16BE(16);
  const machine = littleEndian ? head.readUInt16LE(18) : head.readUInt16BE(18);
  return { class64, littleEndian, type, machine, machineName: MACHINES[machine] ?? `machine ${machine}` };
}

/**
 * Whether an x86-64 ELF kernel carries XEN_ELFNOTE_PHYS32_ENTRY (type 18 in a "Xen" note),
 * the PVH entry point QEMU needs to boot a vmlinux with -kernel. Kernels built without
 * CONFIG_PVH must be booted as a bzImage.
 */
export async function hasPvhEntryNote(file: string): Promise<boolean> {
  const handle = await fs.open(file, 'r');
  try {
    const header = Buffer.alloc(64);
    await handle.read(header, 0, 64, 0);
    const info = parseElfHeader(header);
    if (!info.class64 || !info.littleEndian) return false;
    const phoff = Number(header.readBigUInt64LE(0x20));
    const phentsize = header.readUInt16LE(0x36);
    const phnum = header.readUInt16LE(0x38);
    if (phentsize < 56 || phnum === 0) return false;
    const table = Buffer.alloc(phentsize * phnum);
    await handle.read(table, 0, table.length, phoff);
    for (let i = 0; i < phnum; i++) {
      const ph = table.subarray(i * phentsize);
      if (ph.readUInt32LE(0) !== 4 /* PT_NOTE */) continue;
      const offset = Number(ph.readBigUInt64LE(8));
      const size = Number(ph.readBigUInt64LE(32));
      if (size > 1 << 20) continue;
      const notes = Buffer.alloc(size);
      await handle.read(notes, 0, size, offset);
      if (notesContain(notes, 'Xen', 18)) return true;
    }
    return false;
  } finally {
    await handle.close();
  }
}

function notesContain(notes: Buffer, owner: string, type: number): boolean {
  const align4 = (n: number): number => (n + 3) & ~3;
  let at = 0;
  while (at + 12 <= notes.length) {
    const namesz = notes.readUInt32LE(at);
    const descsz = notes.readUInt32LE(at + 4);
    const noteType = notes.readUInt32LE(at + 8);
    const name = notes.toString('latin1', at + 12, at + 12 + Math.max(0, namesz - 1));
    if (name === owner && noteType === type) return true;
    at += 12 + align4(namesz) + align4(descsz);
  }
  return false;
}

/**
 * Checks a freshly decompressed vmlinux is whole: an x86-64 ELF whose section header table
 * (written last by the linker) lies inside the file. A decompressor that stopped early
 * produces a file that fails this.
 */
export async function isCompleteX86Elf(file: string): Promise<boolean> {
  const handle = await fs.open(file, 'r');
  try {
    const { size } = await handle.stat();
    const header = Buffer.alloc(64);
    const { bytesRead } = await handle.read(header, 0, 64, 0);
    if (bytesRead < 64 || !isElf(header)) return false;
    const info = parseElfHeader(header);
    if (!info.class64 || !info.littleEndian || info.machine !== EM_X86_64) return false;
    const shoff = Number(header.readBigUInt64LE(0x28));
    const shentsize = header.readUInt16LE(0x3a);
    const shnum = header.readUInt16LE(0x3c);
    return shoff + shentsize * shnum <= size;
  } finally {
    await handle.close();
  }
}

const BANNER_RE = /Linux version (\d+\.\d+[^\s\x00]*) \(/;
const CHUNK = 8 << 20;
const OVERLAP = 512;

/**
 * The release from the "Linux version 6.1.0-56-amd64 (builder@host) ..." banner that every
 * kernel image carries in its read-only data, or null. Reads in chunks: a vmlinux with debug
 * info can be a gigabyte.
 */
export async function readLinuxBanner(file: string): Promise<{ release: string; banner: string } | null> {
  const handle = await fs.open(file, 'r');
  try {
    const buffer = Buffer.alloc(CHUNK + OVERLAP);
    // The tail of each chunk is carried over so a banner split across two reads is found.
    let kept = 0;
    let position = 0;
    for (;;) {
      const { bytesRead } = await handle.read(buffer, kept, CHUNK, position);
      if (bytesRead === 0) return null;
      position += bytesRead;
      const total = kept + bytesRead;
      const text = buffer.toString('latin1', 0, total);
      const match = BANNER_RE.exec(text);
      if (match?.[1]) {
        const end = text.indexOf('\0', match.index);
        return { release: match[1], banner: text.slice(match.index, end < 0 ? match.index + 300 : end).trim() };
      }
      kept = Math.min(OVERLAP, total);
      buffer.copy(buffer, 0, total - kept, total);
    }
  } finally {
    await handle.close();
  }
}
