/**
 * The x86 boot protocol's setup header (Documentation/arch/x86/boot.rst), read from the
 * first bytes of a bzImage. It names the kernel release without decompressing anything and
 * says where the compressed kernel sits.
 */
export interface BzImageHeader {
  /** First word of the version string: what `uname -r` prints. */
  release: string;
  /** The whole kernel_version string, e.g. "6.1.0-56-amd64 (debian-kernel@…) #1 SMP …". */
  versionString: string;
  /** Boot protocol version, e.g. 0x20f. */
  protocol: number;
  setupSects: number;
  /** Where the compressed payload starts in the file, and its length (protocol >= 2.08). */
  payloadFileOffset: number | null;
  payloadLength: number | null;
}

/** Enough of the file for the header and the version string (setup code is < 32 KiB). */
export const BZIMAGE_HEAD_BYTES = 64 * 1024;

const HDRS_OFFSET = 0x202;
const HDRS_MAGIC = 'HdrS';

export function hasSetupHeader(head: Buffer): boolean {
  return head.length >= 0x210 && head.toString('latin1', HDRS_OFFSET, HDRS_OFFSET + 4) === HDRS_MAGIC;
}

/** Parses the header; throws an Error describing what is wrong (the caller adds the path). */
export function parseBzImageHeader(head: Buffer): BzImageHeader {
  if (!hasSetupHeader(head)) throw new Error('no "HdrS" magic at offset 0x202, not an x86 boot image');
  const protocol = head.readUInt16LE(0x206);
  const setupSects = head[0x1f1] || 4;
  // kernel_version points at a NUL-terminated string, relative to the start of the setup
  // code (file offset 0x200).
  const pointer = head.readUInt16LE(0x20e);
  if (pointer === 0) throw new Error('the setup header has no kernel_version string');
  const start = pointer + 0x200;
  if (start >= head.length) throw new Error(`kernel_version points past the data read (offset 0x${start.toString(16)})`);
  const end = head.indexOf(0, start);
  const versionString = head.toString('latin1', start, end < 0 ? Math.min(head.length, start + 512) : end).trim();
  const release = versionString.split(/\s+/, 1)[0] ?? '';
  if (!/^\d+\.\d+/.test(release)) throw new Error(`kernel_version string does not start with a release: "${versionString.slice(0, 80)}"`);

  let payloadFileOffset: number | null = null;
  let payloadLength: number | null = null;
  if (protocol >= 0x208 && head.length >= 0x250) {
    const offset = head.readUInt32LE(0x248);
    const length = head.readUInt32LE(0x24c);
    // payload_offset counts from the protected-mode code, which follows the setup sectors.
    if (length > 0) {
      payloadFileOffset = (setupSects + 1) * 512 + offset;
      payloadLength = length;
    }
  }
  return { release, versionString, protocol, setupSects, payloadFileOffset, payloadLength };
}
