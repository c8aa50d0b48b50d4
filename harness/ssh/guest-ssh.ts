import { TimeoutError } from '../util/timeout-error.ts';
import { setTimeout as sleep } from 'node:timers/promises';
import { Client, type ClientChannel } from 'ssh2';

export interface ExecResult {
  stdout: string;
  stderr: string;
  /** Null when the command was killed by a signal or the channel closed without a status. */
  exitCode: number | null;
  signal: string | null;
  durationMs: number;
  /** True when the output exceeded the cap and was cut. */
  truncated: boolean;
}

export interface ExecOptions {
  timeoutMs?: number;
  stdin?: string | Buffer;
  /** Bytes kept of stdout and of stderr each. */
  maxOutputBytes?: number;
}

export class SshConnectionLostError extends Error {}

const DEFAULT_MAX_OUTPUT = 16 * 1024 * 1024;
/** ssh2's message when the server answered and turned every offered key down. */
const AUTH_REFUSED_RE = /All configured authentication methods failed/;
const AUTH_REFUSALS_TO_GIVE_UP = 3;

/**
 * An SSH connection to a guest, with the guest's host key pinned. The guest is untrusted:
 * output is capped, and every command has a deadline.
 */
export class GuestSsh {
  /** Why the connection ended, once it has: named in every later error. */
  private lostBecause: string | null = null;
  /**
   * Pending operations to settle when the connection goes: ssh2 does not always close a
   * channel (or call back a channel request) when the socket dies with the guest, and a
   * promise left pending then is a run that hangs, or exits mid-await once nothing else is
   * alive (node's exit code 13), instead of reporting the lost guest.
   */
  private readonly lostListeners = new Set<(reason: string) => void>();

  private constructor(
    private readonly client: Client,
    readonly port: number,
  ) {
    client.on('error', (error: Error) => {
      this.lostBecause ??= error.message;
    });
    client.on('close', () => {
      this.lostBecause ??= 'the connection closed';
      const listeners = [...this.lostListeners];
      this.lostListeners.clear();
      for (const listener of listeners) listener(this.lostBecause);
    });
  }

  /** Calls `listener` once if the connection is lost; returns the function that forgets it. */
  private onLost(listener: (reason: string) => void): () => void {
    this.lostListeners.add(listener);
    return () => this.lostListeners.delete(listener);
  }

  private lostError(reason: string): SshConnectionLostError {
    return new SshConnectionLostError(`SSH connection to the guest lost (${reason})`);
  }

  /** Null while connected; otherwise what ended the connection. */
  get lostReason(): string | null {
    return this.lostBecause;
  }

  /**
   * Connects, retrying until `deadline` (ms epoch): QEMU's user-mode forward accepts TCP
   * before the guest listens, so early attempts fail and are expected to.
   */
  static async connect(options: {
    port: number;
    privateKey: string;
    hostKeyBlob: Buffer;
    deadline: number;
    isGuestAlive?: () => boolean;
    /** Pause between attempts; short while the guest is known to be coming up. */
    retryDelayMs?: number;
  }): Promise<GuestSsh> {
    let lastError: unknown = new Error('no attempt made');
    let attempt = 0;
    let refusedKey = 0;
    while (Date.now() < options.deadline) {
      if (options.isGuestAlive && !options.isGuestAlive()) break;
      attempt += 1;
      try {
        const client = await connectOnce(options.port, options.privateKey, options.hostKeyBlob, Math.min(10_000, Math.max(1_000, options.deadline - Date.now())));
        return new GuestSsh(client, options.port);
      } catch (error) {
        lastError = error;
        if (error instanceof HostKeyMismatchError) throw error;
        // The guest's sshd is up and answers, but refuses this run's key: the key went into
        // the image before sshd started, so waiting for the boot deadline cannot help.
        refusedKey = error instanceof Error && AUTH_REFUSED_RE.test(error.message) ? refusedKey + 1 : 0;
        if (refusedKey >= AUTH_REFUSALS_TO_GIVE_UP) {
          throw new SshConnectionLostError(`the guest's SSH server refused this run's key ${refusedKey} times in a row (${error instanceof Error ? error.message : String(error)}): the image was built with another key`);
        }
        await sleep(options.retryDelayMs ?? Math.min(50 * attempt, 500));
      }
    }
    throw new SshConnectionLostError(`could not open SSH to 127.0.0.1:${options.port}: ${lastError instanceof Error ? lastError.message : String(lastError)}`);
  }

  /**
   * Runs one command. An exec request the server turned down ("Unable to exec": dropbear
   * could not start the session, seen about once in 80 cases when a case's end mark and
   * after-snapshot channels opened together) ran nothing, so it is asked again (up to 4
   * more times, 50 ms to 400 ms apart).
   */
  exec(command: string, options: ExecOptions = {}): Promise<ExecResult> {
    return refusedRetried(() => this.execOnce(command, options));
  }

  private execOnce(command: string, options: ExecOptions): Promise<ExecResult> {
    const timeoutMs = options.timeoutMs ?? 60_000;
    const cap = options.maxOutputBytes ?? DEFAULT_MAX_OUTPUT;
    const started = Date.now();
    return new Promise((resolve, reject) => {
      if (this.lostBecause) return reject(this.lostError(this.lostBecause));
      let timer: NodeJS.Timeout | undefined;
      const forget = this.onLost((reason) => {
        clearTimeout(timer);
        reject(this.lostError(reason));
      });
      this.client.exec(command, (error, channel) => {
        if (error) {
          forget();
          return reject(new SshConnectionLostError(`SSH exec failed: ${error.message}${this.lostBecause ? ` (${this.lostBecause})` : ''}`));
        }
        const stdout = new CappedText(cap);
        const stderr = new CappedText(cap);
        let exitCode: number | null = null;
        let signal: string | null = null;
        timer = setTimeout(() => {
          forget();
          channel.signal('KILL');
          channel.close();
          reject(new TimeoutError('guest-command', timeoutMs, `guest command did not finish within ${(timeoutMs / 1000).toFixed(1)} s: ${command}`));
        }, timeoutMs);
        channel.on('data', (data: Buffer) => stdout.add(data));
        channel.stderr.on('data', (data: Buffer) => stderr.add(data));
        channel.on('exit', (code: number | null, signalName?: string) => {
          exitCode = code;
          signal = signalName ?? null;
        });
        channel.on('close', () => {
          clearTimeout(timer);
          forget();
          resolve({
            stdout: stdout.text(),
            stderr: stderr.text(),
            exitCode,
            signal,
            durationMs: Date.now() - started,
            truncated: stdout.truncated || stderr.truncated,
          });
        });
        if (options.stdin !== undefined) channel.end(options.stdin);
        else channel.end();
      });
    });
  }

  /**
   * Starts a long-running command and hands its stdout to `onData` as it arrives (e.g.
   * `cat /dev/kmsg`, which never ends). Returns a handle to stop it and a promise that
   * settles when the channel closes.
   */
  stream(command: string, onData: (chunk: Buffer) => void): Promise<GuestStream> {
    return refusedRetried(() => this.streamOnce(command, onData));
  }

  private streamOnce(command: string, onData: (chunk: Buffer) => void): Promise<GuestStream> {
    return new Promise((resolve, reject) => {
      if (this.lostBecause) return reject(this.lostError(this.lostBecause));
      const forgetPending = this.onLost((reason) => reject(this.lostError(reason)));
      this.client.exec(command, (error, channel) => {
        forgetPending();
        if (error) return reject(new SshConnectionLostError(`SSH exec failed: ${error.message}`));
        const closed = new Promise<void>((done) => {
          const forget = this.onLost(() => done());
          channel.on('close', () => {
            forget();
            done();
          });
        });
        channel.on('data', onData);
        channel.stderr.on('data', () => {});
        channel.end();
        resolve({
          closed,
          stop: () => {
            channel.signal('KILL');
            channel.close();
          },
        });
      });
    });
  }

  /**
   * A long-running command with a writable stdin: a request/response conversation with a
   * guest process (the helper's `serve` mode). `closed` reports how the process ended, which
   * is how the harness learns that the kernel killed it.
   */
  converse(command: string, onData: (chunk: Buffer) => void): Promise<GuestConversation> {
    return refusedRetried(() => this.converseOnce(command, onData));
  }

  private converseOnce(command: string, onData: (chunk: Buffer) => void): Promise<GuestConversation> {
    return new Promise((resolve, reject) => {
      if (this.lostBecause) return reject(this.lostError(this.lostBecause));
      const forgetPending = this.onLost((reason) => reject(this.lostError(reason)));
      this.client.exec(command, (error, channel) => {
        forgetPending();
        if (error) return reject(new SshConnectionLostError(`SSH exec failed: ${error.message}`));
        let exitCode: number | null = null;
        let signal: string | null = null;
        let stderr = '';
        channel.on('exit', (code: number | null, signalName?: string) => {
          exitCode = code;
          signal = signalName ?? null;
        });
        const closed = new Promise<ConversationEnd>((done) => {
          const forget = this.onLost((reason) => done({ exitCode, signal, stderr: `${stderr}(SSH connection to the guest lost: ${reason})` }));
          channel.on('close', () => {
            forget();
            done({ exitCode, signal, stderr });
          });
        });
        channel.on('data', onData);
        channel.stderr.on('data', (data: Buffer) => {
          if (stderr.length < 64 * 1024) stderr += data.toString('utf8');
        });
        resolve({
          write: (text) => channel.write(text),
          stop: () => {
            channel.signal('KILL');
            channel.close();
          },
          closed,
        });
      });
    });
  }

  /** Writes a file in the guest (dropbear has no SFTP server here, so through `cat`). */
  async upload(content: Buffer | string, remotePath: string, mode = 0o644): Promise<void> {
    const quoted = `'${remotePath.replace(/'/g, `'\\''`)}'`;
    const result = await this.exec(`cat > ${quoted} && chmod ${mode.toString(8)} ${quoted}`, { stdin: content, timeoutMs: 120_000 });
    if (result.exitCode !== 0) throw new Error(`upload to ${remotePath} failed (exit ${result.exitCode}): ${result.stderr.trim()}`);
  }

  /** An interactive shell with a pty, wired to the given streams (for `memharness shell`). */
  shell(options: { rows: number; cols: number; term: string }): Promise<ClientChannel> {
    return new Promise((resolve, reject) => {
      this.client.shell({ rows: options.rows, cols: options.cols, term: options.term }, (error, channel) => {
        if (error) reject(error);
        else resolve(channel);
      });
    });
  }

  close(): void {
    this.client.end();
  }
}

export interface ConversationEnd {
  exitCode: number | null;
  /** e.g. "BUS" or "KILL" when the kernel killed the process. */
  signal: string | null;
  stderr: string;
}

export interface GuestConversation {
  write(text: string): void;
  stop(): void;
  closed: Promise<ConversationEnd>;
}

export interface GuestStream {
  stop(): void;
  closed: Promise<void>;
}

export class HostKeyMismatchError extends Error {}

function connectOnce(port: number, privateKey: string, hostKeyBlob: Buffer, timeoutMs: number): Promise<Client> {
  return new Promise((resolve, reject) => {
    const client = new Client();
    let hostKeyRejected = false;
    const fail = (error: Error) => {
      client.removeAllListeners('ready');
      // A client given up on can still emit (ssh2's "Connection lost before handshake" after a
      // 'close', or a second error): without a listener that is an unhandled 'error' event,
      // which ended a run that Ctrl-C was stopping while a restored guest's handshake was on.
      client.on('error', () => {});
      client.end();
      reject(hostKeyRejected ? new HostKeyMismatchError('the guest presented an unexpected SSH host key; refusing to talk to it') : error);
    };
    // A socket that closes before the handshake ends (QEMU killed, the guest's port closed)
    // emits 'close' without 'error', and readyTimeout is cleared with it: without this the
    // attempt would never settle.
    const closedEarly = () => fail(new Error('the connection closed before the SSH handshake finished'));
    client.once('close', closedEarly);
    client.once('ready', () => {
      client.removeListener('error', fail);
      client.removeListener('close', closedEarly);
      client.on('error', () => {
        // Errors after ready surface through the pending exec's close.
      });
      resolve(client);
    });
    client.once('error', fail);
    client.connect({
      host: '127.0.0.1',
      port,
      username: 'root',
      privateKey,
      readyTimeout: timeoutMs,
      // Generous: a TCG guest on a loaded 2-core host can stall for many seconds, and a dead
      // guest is noticed from QEMU's exit, not from keepalives. Every command has its own deadline.
      keepaliveInterval: 15_000,
      keepaliveCountMax: 20,
      hostVerifier: (key: Buffer) => {
        const ok = key.equals(hostKeyBlob);
        if (!ok) hostKeyRejected = true;
        return ok;
      },
    });
  });
}

class CappedText {
  private readonly chunks: Buffer[] = [];
  private size = 0;
  truncated = false;
  constructor(private readonly cap: number) {}
  add(data: Buffer): void {
    if (this.size >= this.cap) {
      this.truncated = true;
      return;
    }
    const room = this.cap - this.size;
    const piece = data.length > room ? data.subarray(0, room) : data;
    if (piece.length < data.length) this.truncated = true;
    this.chunks.push(piece);
    this.size += piece.length;
  }
  text(): string {
    return Buffer.concat(this.chunks).toString('utf8');
  }
}

/** ssh2's words when the server answers an exec request with failure: nothing was started. */
const EXEC_REFUSED_RE = /SSH exec failed: Unable to exec$/;
const EXEC_ATTEMPTS = 5;

async function refusedRetried<T>(open: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await open();
    } catch (error) {
      if (attempt >= EXEC_ATTEMPTS || !(error instanceof Error) || !EXEC_REFUSED_RE.test(error.message)) throw error;
      await sleep(50 * 2 ** (attempt - 1));
    }
  }
}
