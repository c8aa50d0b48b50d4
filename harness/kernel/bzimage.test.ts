import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { hasSetupHeader, parseBzImageHeader } from './bzimage.ts';

const fixtures = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures');
const head = (name: string): Buffer => fs.readFileSync(path.join(fixtures, name));

describe('parseBzImageHeader on real Debian bzImages', () => {
  it('6.1.0-56 (xz payload)', () => {
    const buffer = head('vmlinuz-6.1.0-56-amd64.head64k');
    expect(hasSetupHeader(buffer)).toBe(true);
    const header = parseBzImageHeader(buffer);
    expect(header.release).toBe('6.1.0-56-amd64');
    expect(header.versionString).toMatch(/^6\.1\.0-56-amd64 \(debian-kernel@lists\.debian\.org\) #1 SMP PREEMPT_DYNAMIC Debian 6\.1\.192-2/);
    expect(header.protocol).toBe(0x20f);
    expect(header.setupSects).toBe(39);
    expect(header.payloadFileOffset).toBe(0x52cc);
    // The payload offset points at the xz magic.
    expect(buffer.subarray(0x52cc, 0x52cc + 6).toString('hex')).toBe('fd377a585a00');
  });

  it('6.12.117+deb12 (zstd payload)', () => {
    const buffer = head('vmlinuz-6.12.117+deb12-amd64.head64k');
    const header = parseBzImageHeader(buffer);
    expect(header.release).toBe('6.12.117+deb12-amd64');
    expect(header.versionString).toMatch(/Debian 6\.12\.117-1~deb12u1/);
    const offset = header.payloadFileOffset ?? -1;
    expect(buffer.subarray(offset, offset + 4).toString('hex')).toBe('28b52ffd');
    expect(header.payloadLength).toBeGreaterThan(10_000_000);
  });

  it('rejects data without the HdrS magic', () => {
    expect(hasSetupHeader(Buffer.alloc(4096))).toBe(false);
    expect(() => parseBzImageHeader(Buffer.alloc(4096))).toThrow(/HdrS/);
  });

  it('rejects a header whose kernel_version pointer is empty', () => {
    const buffer = Buffer.from(head('vmlinuz-6.1.0-56-amd64.head64k'));
    buffer.writeUInt16LE(0, 0x20e);
    expect(() => parseBzImageHeader(buffer)).toThrow(/no kernel_version/);
  });
});
