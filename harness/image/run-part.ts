import fs from 'node:fs/promises';
import path from 'node:path';
import type { GuestSshKeys, InitramfsPart } from './guest-image.ts';
import { PART_COMPRESSION, archiveSuffix, writeCpioArchive } from './cpio-archive.ts';
import { StagingDir } from './staging-dir.ts';

/**
 * Part 5: per-run secrets, written into the run directory and never cached: the key root
 * logs in with and the guest's host key. Modes are what dropbear insists on.
 */
export async function buildRunPart(options: { runDir: string; keys: GuestSshKeys }): Promise<InitramfsPart> {
  const authorizedKey = options.keys.authorizedKey.trim();
  if (authorizedKey === '' || authorizedKey.includes('\n')) {
    throw new Error('GuestSshKeys.authorizedKey must be exactly one OpenSSH public key line');
  }
  const staging = new StagingDir(path.join(options.runDir, 'run-part-staging'));
  await fs.rm(staging.root, { recursive: true, force: true });
  await fs.mkdir(staging.root, { recursive: true });
  try {
    // Parent directories are repeated with the base part's modes: the kernel applies the
    // mode of every directory entry it unpacks, so they must agree.
    await staging.dir('root', 0o700);
    await staging.dir('root/.ssh', 0o700);
    await staging.file('root/.ssh/authorized_keys', `${authorizedKey}\n`, 0o600);
    await staging.dir('etc', 0o755);
    await staging.dir('etc/dropbear', 0o700);
    await staging.file('etc/dropbear/dropbear_ed25519_host_key', options.keys.dropbearHostKey, 0o600);
    const file = path.join(options.runDir, `run${archiveSuffix(PART_COMPRESSION)}`);
    await writeCpioArchive(staging.root, file, staging.modes);
    return { name: 'run', path: file };
  } finally {
    await fs.rm(staging.root, { recursive: true, force: true });
  }
}
