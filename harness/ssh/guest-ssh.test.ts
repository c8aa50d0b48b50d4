import net from 'node:net';
import ssh2 from 'ssh2';
import { afterEach, describe, expect, it } from 'vitest';
import { GuestSsh, SshConnectionLostError } from './guest-ssh.ts';

// What QEMU's user-mode forward does when QEMU dies mid-handshake: the TCP connection was
// accepted, then it closes without a word. ssh2 reports that as 'close' without 'error'.
let server: net.Server | undefined;
afterEach(() => server?.close());

async function closingServer(afterBytes: string | null): Promise<number> {
  server = net.createServer((socket) => {
    if (afterBytes !== null) socket.write(afterBytes);
    setTimeout(() => socket.destroy(), 50);
  });
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
  return (server.address() as net.AddressInfo).port;
}

describe('GuestSsh.connect', () => {
  it('gives up at once when the guest\'s SSH server refuses the run\'s key, instead of retrying to the deadline', async () => {
    const hostKey = ssh2.utils.generateKeyPairSync('ed25519');
    const parsed = ssh2.utils.parseKey(hostKey.private);
    if (parsed instanceof Error) throw parsed;
    let attempts = 0;
    const sshServer = new ssh2.Server({ hostKeys: [hostKey.private] }, (client) => {
      client.on('authentication', (context) => {
        if (context.method !== 'none') attempts += 1;
        context.reject();
      });
      client.on('error', () => {});
    });
    await new Promise<void>((resolve) => sshServer.listen(0, '127.0.0.1', resolve));
    try {
      const started = Date.now();
      const connecting = GuestSsh.connect({
        port: (sshServer.address() as net.AddressInfo).port,
        privateKey: ssh2.utils.generateKeyPairSync('ed25519').private,
        hostKeyBlob: (Array.isArray(parsed) ? parsed[0]! : parsed).getPublicSSH(),
        deadline: Date.now() + 120_000,
        retryDelayMs: 10,
      });
      await expect(connecting).rejects.toThrow(/refused this run's key 3 times in a row \(All configured authentication methods failed\)/);
      expect(attempts).toBe(3);
      expect(Date.now() - started).toBeLessThan(10_000);
    } finally {
      sshServer.close();
    }
  });

  const key = ssh2.utils.generateKeyPairSync('ed25519');
  for (const [what, bytes] of [['before any byte', null], ['after the version line', 'SSH-2.0-dropbear_2022.83\r\n']] as const) {
    it(`gives up when the connection closes ${what} and the guest is gone`, async () => {
      const port = await closingServer(bytes);
      let attempts = 0;
      const started = Date.now();
      const connecting = GuestSsh.connect({
        port,
        privateKey: key.private,
        hostKeyBlob: Buffer.alloc(32),
        deadline: Date.now() + 60_000,
        isGuestAlive: () => ++attempts <= 2,
        retryDelayMs: 10,
      });
      await expect(connecting).rejects.toBeInstanceOf(SshConnectionLostError);
      await expect(connecting).rejects.toThrow(/closed before the SSH handshake finished|Connection lost before handshake/);
      expect(Date.now() - started).toBeLessThan(10_000);
    });
  }
});

describe('GuestSsh.exec', () => {
  it('asks again when the server turns the exec request down (nothing ran), and runs the command once', async () => {
    const hostKey = ssh2.utils.generateKeyPairSync('ed25519');
    const parsed = ssh2.utils.parseKey(hostKey.private);
    if (parsed instanceof Error) throw parsed;
    const clientKey = ssh2.utils.generateKeyPairSync('ed25519');
    let requests = 0;
    let ran = 0;
    const sshServer = new ssh2.Server({ hostKeys: [hostKey.private] }, (client) => {
      client.on('authentication', (context) => (context.method === 'publickey' ? context.accept() : context.reject(['publickey'])));
      client.on('session', (accept) => {
        accept().on('exec', (acceptExec, rejectExec) => {
          requests += 1;
          // dropbear's answer when it cannot start the session: a failure reply to the request.
          if (requests === 1) return rejectExec();
          ran += 1;
          const channel = acceptExec();
          channel.write('ok\n');
          channel.exit(0);
          channel.end();
        });
      });
      client.on('error', () => {});
    });
    await new Promise<void>((resolve) => sshServer.listen(0, '127.0.0.1', resolve));
    try {
      const ssh = await GuestSsh.connect({
        port: (sshServer.address() as net.AddressInfo).port,
        privateKey: clientKey.private,
        hostKeyBlob: (Array.isArray(parsed) ? parsed[0]! : parsed).getPublicSSH(),
        deadline: Date.now() + 30_000,
        isGuestAlive: () => true,
      });
      const result = await ssh.exec('true');
      expect(result).toMatchObject({ stdout: 'ok\n', exitCode: 0 });
      expect([requests, ran]).toEqual([2, 1]);
      ssh.close();
    } finally {
      sshServer.close();
    }
  });
});
