import fs from 'node:fs/promises';
import path from 'node:path';
import { execa } from 'execa';
import ssh2 from 'ssh2';
import { HarnessError } from '../util/errors.ts';
import type { GuestSshKeys } from '../image/guest-image.ts';

/**
 * Keys made fresh for each run: the client key the guest accepts for root, and the guest's
 * own host key, which the harness pins, so a connection to the forwarded port reaches our
 * guest and nothing else. Nothing here is ever reused across runs or written to the cache.
 */
export interface RunKeys {
  guest: GuestSshKeys;
  clientPrivateKey: string;
  /** Host key blob (SSH wire format) the guest must present. */
  hostKeyBlob: Buffer;
  /** Files for an interactive OpenSSH client (`memharness shell`). */
  clientKeyPath: string;
  knownHostsLine: (port: number) => string;
}

interface KeyPair {
  private: string;
  public: string;
}

/**
 * ssh2 (1.x) generates an ed25519 key its own parser rejects ("Malformed OpenSSH private
 * key") about 3 times in 1000 (measured: 15 of 5000); the guest then never becomes
 * reachable. A key is kept only once ssh2 has parsed it back.
 */
export function parsableKeyPair(generate: () => KeyPair, tries = 20): KeyPair {
  for (let attempt = 1; attempt <= tries; attempt++) {
    const pair = generate();
    if (!(ssh2.utils.parseKey(pair.private) instanceof Error)) return pair;
  }
  throw new HarnessError('ssh', `ssh2 could not parse any of ${tries} key pairs it generated`);
}

export async function createRunKeys(dir: string): Promise<RunKeys> {
  await fs.mkdir(dir, { recursive: true, mode: 0o700 });
  const client = parsableKeyPair(() => ssh2.utils.generateKeyPairSync('ed25519', { comment: 'memharness-run' }));
  const clientKeyPath = path.join(dir, 'client_ed25519');
  await fs.writeFile(clientKeyPath, client.private, { mode: 0o600 });

  const hostKeyPath = path.join(dir, 'guest_host_ed25519.dropbear');
  await fs.rm(hostKeyPath, { force: true });
  let hostPublicLine: string;
  try {
    await execa('dropbearkey', ['-t', 'ed25519', '-f', hostKeyPath]);
    const { stdout } = await execa('dropbearkey', ['-y', '-f', hostKeyPath]);
    const line = stdout.split('\n').find((l) => l.startsWith('ssh-ed25519 '));
    if (!line) throw new Error(`unexpected dropbearkey -y output: ${stdout}`);
    hostPublicLine = line.trim();
  } catch (error) {
    throw new HarnessError('prerequisite', `could not make the guest's SSH host key with dropbearkey: ${String(error)}`, {
      hint: 'run `memharness doctor --install` (package dropbear-bin)',
      cause: error,
    });
  }
  const hostKeyBlob = Buffer.from(hostPublicLine.split(/\s+/)[1] ?? '', 'base64');
  return {
    guest: { authorizedKey: client.public.trim(), dropbearHostKey: await fs.readFile(hostKeyPath) },
    clientPrivateKey: client.private,
    hostKeyBlob,
    clientKeyPath,
    knownHostsLine: (port) => `[127.0.0.1]:${port} ${hostPublicLine.split(/\s+/).slice(0, 2).join(' ')}`,
  };
}
