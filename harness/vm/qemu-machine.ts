import fs from 'node:fs/promises';
import path from 'node:path';
import { execa, type ResultPromise } from 'execa';
import { HarnessError } from '../util/errors.ts';
import { registerChildGroup, unregisterChildGroup } from '../util/child-processes.ts';
import type { GuestSpec } from './guest-spec.ts';
import { renderQemuArgs, type QemuRuntime } from './qemu-args.ts';
import { QmpClient } from './qmp-client.ts';
import { SerialConsole } from './serial-console.ts';

export interface QemuExit {
  code: number | null;
  signal: string | null;
  /** QEMU's own stderr (capped): its reason for refusing a command line lives here. */
  stderr: string;
}

export interface QemuStartOptions {
  spec: GuestSpec;
  runtime: Omit<QemuRuntime, 'qmpSocket'>;
  /** Directory for the console log and QMP socket of this machine. */
  machineDir: string;
  qemuBinary?: string;
  qmpTimeoutMs?: number;
}

/** QEMU refused the SSH forward because another process holds the port: pick another one. */
export class HostPortBusyError extends Error {
  constructor(readonly port: number, readonly stderr: string) {
    super(`host port 127.0.0.1:${port} is already in use`);
  }
}

const MAX_STDERR_BYTES = 64 * 1024;

export function qemuBinary(env: NodeJS.ProcessEnv = process.env): string {
  return env.MEMHARNESS_QEMU ?? 'qemu-system-x86_64';
}

/**
 * One running QEMU process with its serial console and QMP connection. QEMU runs in its own
 * process group (so a kill reaches everything it spawned) under `setpriv --pdeathsig KILL`,
 * so the kernel kills it even if the harness itself is SIGKILLed and no cleanup code runs.
 */
export class QemuMachine {
  readonly console: SerialConsole;
  readonly startedAt: number;
  readonly args: readonly string[];
  readonly exited: Promise<QemuExit>;
  readonly pid: number;
  private qmpClient: QmpClient | null = null;
  private running = true;
  private stderrText = '';
  private readonly child: ResultPromise;

  private constructor(child: ResultPromise, console: SerialConsole, startedAt: number, args: string[], exited: Promise<QemuExit>) {
    this.child = child;
    this.console = console;
    this.startedAt = startedAt;
    this.args = args;
    this.exited = exited;
    this.pid = child.pid!;
    void exited.then(() => {
      this.running = false;
    });
  }

  static async start(options: QemuStartOptions): Promise<QemuMachine> {
    await fs.mkdir(options.machineDir, { recursive: true });
    const qmpSocket = path.join(options.machineDir, 'qmp.sock');
    await fs.rm(qmpSocket, { force: true });
    const args = renderQemuArgs(options.spec, { ...options.runtime, qmpSocket });
    const binary = options.qemuBinary ?? qemuBinary();
    await fs.writeFile(path.join(options.machineDir, 'qemu-cmdline.txt'), [binary, ...args].map(shellQuote).join(' ') + '\n');

    const startedAt = Date.now();
    const console = new SerialConsole({ logPath: path.join(options.machineDir, 'console.log'), startedAt });
    let child: ResultPromise;
    try {
      child = execa('setpriv', ['--pdeathsig', 'KILL', binary, ...args], {
        detached: true,
        stdin: 'pipe',
        stdout: 'pipe',
        stderr: 'pipe',
        buffer: false,
        reject: false,
        cleanup: false,
      });
    } catch (error) {
      throw new HarnessError('qemu', `could not start ${binary}: ${String(error)}`, { cause: error });
    }
    if (child.pid === undefined) {
      const result = await child;
      throw new HarnessError('qemu', `could not start ${binary}: ${String(result.message ?? 'unknown error')}`, {
        hint: 'run `memharness doctor` to install QEMU',
      });
    }
    registerChildGroup(child.pid, `qemu ${options.runtime.name}`);

    let stderr = '';
    let machine: QemuMachine | undefined;
    child.stdout!.on('data', (chunk: Buffer) => console.push(chunk));
    child.stderr!.on('data', (chunk: Buffer) => {
      if (stderr.length >= MAX_STDERR_BYTES) return;
      stderr += chunk.toString('utf8');
      if (machine) machine.stderrText = stderr;
    });
    // Writing to a dead QEMU's stdin must not crash the harness.
    child.stdin!.on('error', () => {});
    const pid = child.pid;
    const exited = child.then(async (result) => {
      unregisterChildGroup(pid);
      await console.close();
      return { code: result.exitCode ?? null, signal: result.signal ?? null, stderr: stderr.slice(0, MAX_STDERR_BYTES) };
    });

    machine = new QemuMachine(child, console, startedAt, args, exited);
    machine.stderrText = stderr;
    try {
      machine.qmpClient = await QmpClient.connect(qmpSocket, {
        timeoutMs: options.qmpTimeoutMs ?? 15_000,
        isAlive: () => machine.running,
      });
    } catch (error) {
      const exit = machine.running ? null : await exited;
      machine.kill();
      // Reaped before the error surfaces, so no caller ever sees a dying QEMU as left over.
      await exited;
      const port = options.runtime.sshPort;
      const qemuSaid = (exit?.stderr ?? stderr).trim();
      if (port !== null && /Could not set up host forwarding rule/i.test(qemuSaid)) {
        throw new HostPortBusyError(port, qemuSaid);
      }
      throw new HarnessError('qemu', `QEMU ${exit ? `exited (code ${exit.code ?? exit.signal})` : 'did not answer on QMP'} before the guest started${qemuSaid ? `: ${qemuSaid}` : ''}`, {
        cause: error,
        consoleTail: console.tailText(),
        consoleLog: console.logPath,
      });
    }
    return machine;
  }

  get qmp(): QmpClient {
    if (!this.qmpClient) throw new Error('QMP is not connected');
    return this.qmpClient;
  }

  /** What QEMU has written to stderr so far (capped): warnings and, e.g., KVM failures. */
  get stderrSoFar(): string {
    return this.stderrText;
  }

  get isRunning(): boolean {
    return this.running;
  }

  /** Types into the serial console (the guest's /dev/console). */
  typeOnConsole(text: string): void {
    if (this.running) this.child.stdin?.write(text);
  }

  /**
   * Asks QEMU to quit over QMP (the guest gets no chance to write anything, which is what a
   * test guest wants) and kills the process group if it is still there after the grace time.
   */
  async quit(graceMs = 5_000): Promise<QemuExit> {
    if (this.running) {
      try {
        await this.qmpClient?.execute('quit', undefined, graceMs);
      } catch {
        // QEMU may close the socket before replying; the exit below is what counts.
      }
    }
    return this.waitOrKill(graceMs);
  }

  async waitOrKill(graceMs: number): Promise<QemuExit> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), graceMs);
    });
    const outcome = await Promise.race([this.exited, timeout]);
    clearTimeout(timer);
    if (outcome === 'timeout') this.kill();
    this.qmpClient?.close();
    return this.exited;
  }

  /** SIGKILL to QEMU's whole process group. */
  kill(): void {
    if (!this.running) return;
    try {
      process.kill(-this.pid, 'SIGKILL');
    } catch {
      // Exited meanwhile.
    }
  }
}

function shellQuote(word: string): string {
  return /^[A-Za-z0-9_./:=,+-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}
