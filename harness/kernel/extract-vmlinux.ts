import fs from 'node:fs/promises';
import { spawn } from 'node:child_process';
import { parseBzImageHeader } from './bzimage.ts';
import { isCompleteX86Elf } from './elf.ts';

/** The compressors a bzImage payload can use, with their magic and a host decompressor. */
const COMPRESSORS: ReadonlyArray<{ name: string; magic: Buffer; command: string; args: string[] }> = [
  { name: 'zstd', magic: Buffer.from('28b52ffd', 'hex'), command: 'zstd', args: ['-dcq'] },
  { name: 'xz', magic: Buffer.from('fd377a585a00', 'hex'), command: 'xz', args: ['-dcq'] },
  { name: 'gzip', magic: Buffer.from('1f8b08', 'hex'), command: 'gzip', args: ['-dcq'] },
  { name: 'lzma', magic: Buffer.from('5d000000', 'hex'), command: 'xz', args: ['-dcq', '--format=lzma'] },
  { name: 'bzip2', magic: Buffer.from('425a68', 'hex'), command: 'bzip2', args: ['-dcq'] },
  { name: 'lz4', magic: Buffer.from('02214c18', 'hex'), command: 'lz4', args: ['-dcq'] },
  { name: 'lzo', magic: Buffer.from('894c5a', 'hex'), command: 'lzop', args: ['-dcq'] },
];

/** Spawning a decompressor per false-positive magic is cheap, but not unbounded. */
const MAX_ATTEMPTS = 48;

export interface ExtractResult {
  compressor: string;
  offset: number;
}

/**
 * Writes the uncompressed ELF vmlinux inside a bzImage to `outFile`, the way the kernel's
 * scripts/extract-vmlinux does: at each occurrence of a compressor's magic, feed the rest of
 * the file to that decompressor and keep the output if it is a whole x86-64 ELF. Decompressors
 * complain about the bytes that follow the payload; their exit status is therefore ignored and
 * the output judged instead. The payload offset from the setup header is tried first, which
 * makes the scan a fallback for images whose header does not say. Returns null when nothing
 * decompressed to a kernel.
 */
export async function extractVmlinux(bzImage: string, outFile: string): Promise<ExtractResult | null> {
  const image = await fs.readFile(bzImage);
  for (const candidate of candidates(image)) {
    const { name, command, args } = candidate.compressor;
    const ran = await decompressTo(command, args, image.subarray(candidate.offset), outFile);
    if (ran && (await isCompleteX86Elf(outFile).catch(() => false))) {
      return { compressor: name, offset: candidate.offset };
    }
  }
  await fs.rm(outFile, { force: true });
  return null;
}

interface Candidate {
  offset: number;
  compressor: (typeof COMPRESSORS)[number];
}

function* candidates(image: Buffer): Generator<Candidate> {
  const tried = new Set<string>();
  let attempts = 0;
  const at = (offset: number): Candidate[] =>
    COMPRESSORS.filter((c) => image.subarray(offset, offset + c.magic.length).equals(c.magic)).map((compressor) => ({
      offset,
      compressor,
    }));

  let headerOffset: number | null = null;
  try {
    headerOffset = parseBzImageHeader(image.subarray(0, 0x10000)).payloadFileOffset;
  } catch {
    // No usable header: the magic scan below still works.
  }
  const first = headerOffset === null ? [] : at(headerOffset);
  for (const candidate of first) {
    tried.add(`${candidate.compressor.name}@${candidate.offset}`);
    attempts++;
    yield candidate;
  }
  for (const compressor of COMPRESSORS) {
    for (let offset = image.indexOf(compressor.magic); offset >= 0; offset = image.indexOf(compressor.magic, offset + 1)) {
      const key = `${compressor.name}@${offset}`;
      if (tried.has(key)) continue;
      tried.add(key);
      if (++attempts > MAX_ATTEMPTS) return;
      yield { offset, compressor };
    }
  }
}

/**
 * Runs `command` with `input` on stdin and its stdout going straight into `outFile`.
 * node:child_process rather than execa here: execa only types fds 1-9 as stdout targets, and
 * its { file } target copies the output through Node in small chunks, which was 30 times
 * slower (17 s instead of 0.6 s for one kernel). Exit status is not judged (see above);
 * returns false only when the decompressor is not installed.
 */
async function decompressTo(command: string, args: string[], input: Uint8Array, outFile: string): Promise<boolean> {
  const out = await fs.open(outFile, 'w');
  try {
    return await new Promise<boolean>((resolve) => {
      const child = spawn(command, args, { stdio: ['pipe', out.fd, 'ignore'], timeout: 5 * 60_000 });
      child.on('error', () => resolve(false));
      child.on('close', () => resolve(true));
      // The decompressor may stop reading at the end of its stream (EPIPE): that is expected.
      child.stdin?.on('error', () => {});
      child.stdin?.end(input);
    });
  } finally {
    await out.close();
  }
}
