import { constants as fsConstants } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { HarnessError } from '../util/errors.ts';

/** sbin directories are searched too: an ordinary user's PATH often lacks them. */
const EXTRA_DIRS = ['/usr/local/sbin', '/usr/sbin', '/sbin'];

/** Absolute path of a host program, or a 'prerequisite' error saying what to install. */
export async function requireHostTool(name: string, debianPackage: string): Promise<string> {
  const dirs = [...(process.env.PATH ?? '').split(':').filter((dir) => dir !== ''), ...EXTRA_DIRS];
  for (const dir of dirs) {
    const candidate = path.join(dir, name);
    try {
      await fs.access(candidate, fsConstants.X_OK);
      return candidate;
    } catch {
      // not here; keep looking
    }
  }
  throw new HarnessError('prerequisite', `building the guest image needs "${name}", which is not installed`, {
    hint: `install it: sudo apt-get install ${debianPackage}`,
  });
}

const PT_INTERP = 3;

/**
 * True when an x86-64 ELF executable has no program interpreter, i.e. runs without a
 * dynamic loader or libraries, as a guest's busybox must.
 */
export async function isStaticElf(file: string): Promise<boolean> {
  const handle = await fs.open(file, 'r');
  try {
    const header = Buffer.alloc(64);
    await handle.read(header, 0, 64, 0);
    if (header.readUInt32BE(0) !== 0x7f454c46 || header[4] !== 2) return false; // not ELF64
    const phoff = Number(header.readBigUInt64LE(0x20));
    const phentsize = header.readUInt16LE(0x36);
    const phnum = header.readUInt16LE(0x38);
    const table = Buffer.alloc(phentsize * phnum);
    await handle.read(table, 0, table.length, phoff);
    for (let i = 0; i < phnum; i++) {
      if (table.readUInt32LE(i * phentsize) === PT_INTERP) return false;
    }
    return true;
  } finally {
    await handle.close();
  }
}
