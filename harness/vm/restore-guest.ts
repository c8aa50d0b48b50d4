import fs from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { qemuVersion } from '../host/qemu-version.ts';
import { HarnessError } from '../util/errors.ts';
import { explainBootFailure } from './boot-failure.ts';
import { findFreeLoopbackPort } from './free-port.ts';
import { Guest } from './guest.ts';
import { renderQemuArgs, type QemuRuntime } from './qemu-args.ts';
import { HostPortBusyError, QemuMachine } from './qemu-machine.ts';
import { identityCommand, identityMismatch, shellQuotePath, type GuestSnapshot } from './snapshot.ts';

export interface RestoreOptions {
  /** Holds console.log, qmp.sock and the QEMU command line of this restore (one per restore). */
  machineDir: string;
  /** Host port for SSH; by default a free one (each concurrent restore needs its own). */
  sshPort?: number;
  name?: string;
  /** QEMU start → status running. */
  runningTimeoutMs?: number;
  /** Running → SSH answering. */
  readyTimeoutMs?: number;
  /** Skip setting the guest's clock (it is frozen at save time otherwise). */
  keepGuestClock?: boolean;
}

const PORT_ATTEMPTS = 5;

/**
 * Starts a QEMU identical to the saved one except for its SSH port, QMP socket and name (none
 * of which are migrated device state), loads the stream with `-incoming exec:cat FILE`, waits
 * until the VM runs, sets the guest clock to the host's and reconnects SSH.
 */
export async function restoreGuest(snapshot: GuestSnapshot, options: RestoreOptions): Promise<Guest> {
  await checkSnapshotInputs(snapshot);
  const name = options.name ?? `${snapshot.name}-restore`;
  let machine: QemuMachine | undefined;
  let sshPort: number | null = null;
  for (let attempt = 1; attempt <= PORT_ATTEMPTS && !machine; attempt++) {
    sshPort = snapshot.spec.ssh ? (options.sshPort ?? (await findFreeLoopbackPort())) : null;
    const runtime = restoreRuntime(snapshot, name, sshPort);
    checkSameDeviceSet(snapshot, runtime);
    try {
      machine = await QemuMachine.start({ spec: snapshot.spec, machineDir: options.machineDir, runtime });
    } catch (error) {
      if (!(error instanceof HostPortBusyError)) throw explainRestoreFailure(snapshot, error);
      if (options.sshPort !== undefined) {
        throw new HarnessError('usage', `SSH port 127.0.0.1:${options.sshPort} is already in use by another process`);
      }
    }
  }
  if (!machine) throw new HarnessError('qemu', `could not find a free loopback port for SSH after ${PORT_ATTEMPTS} attempts`);

  let firstOutput: string[] = [];
  try {
    await startIncoming(machine, snapshot);
    await waitUntilRunning(machine, options.runningTimeoutMs ?? 60_000);
    const guest = await Guest.attach({
      name,
      machine,
      kernel: snapshot.kernel,
      spec: snapshot.spec,
      accel: snapshot.accel,
      sshPort,
      launch: snapshot.launch,
      readyTimeoutMs: options.readyTimeoutMs ?? 60_000,
      restored: true,
      // Rendered when the first command is sent: the guest's clock still says savedAt. The
      // identity probe rides in the same exchange (no extra round trip).
      firstCommandPrefix: () => {
        const now = options.keepGuestClock ? null : Math.round(Date.now() / 1000);
        if (snapshot.identity) return identityCommand(now);
        return now === null ? 'true' : `date -u -s @${now} >/dev/null`;
      },
      onFirstOutput: (lines) => {
        firstOutput = lines;
      },
    });
    if (snapshot.identity) {
      const mismatch = identityMismatch(snapshot.identity, firstOutput, Math.round(Date.now() / 1000));
      // keepGuestClock leaves the clock at savedAt on purpose: only the nonce and the counters count then.
      if (mismatch && !(options.keepGuestClock && mismatch.includes('clock'))) throw new HarnessError('boot', `restore check failed: ${mismatch}`);
    }
    if (snapshot.unameRelease && guest.unameRelease !== snapshot.unameRelease) {
      throw new HarnessError('boot', `restored guest answers as ${guest.unameRelease ?? '?'}, the snapshot was ${snapshot.unameRelease}`);
    }
    return guest;
  } catch (error) {
    const explained = await explainBootFailure(machine, `restoring ${snapshot.file}`, error);
    machine.kill();
    await machine.exited;
    throw explainRestoreFailure(snapshot, explained);
  }
}

function incomingUri(snapshot: GuestSnapshot): string {
  return `exec:cat ${shellQuotePath(snapshot.file)}`;
}

/** For a deferred (copy-on-write) restore: the capability the template was saved with, then the stream. */
async function startIncoming(machine: QemuMachine, snapshot: GuestSnapshot): Promise<void> {
  if (!snapshot.launch.ramDir) return;
  await machine.qmp.execute('migrate-set-capabilities', { capabilities: [{ capability: 'x-ignore-shared', state: true }] });
  await machine.qmp.execute('migrate-incoming', { uri: incomingUri(snapshot) });
}

function restoreRuntime(snapshot: GuestSnapshot, name: string, sshPort: number | null): Omit<QemuRuntime, 'qmpSocket'> {
  return {
    name,
    accel: snapshot.accel,
    kernelImage: snapshot.launch.kernelImage,
    initrd: snapshot.launch.initrd,
    kernelCmdline: snapshot.launch.kernelCmdline,
    sshPort,
    // A copy-on-write restore sets x-ignore-shared over QMP first (startIncoming), so it defers.
    incoming: snapshot.launch.ramDir ? 'defer' : incomingUri(snapshot),
    // Copy-on-write: the template's RAM files, mapped private (QEMU allows that since 4.1).
    ...(snapshot.launch.ramDir ? { ram: { dir: snapshot.launch.ramDir, share: false } } : {}),
  };
}

/** Files a restore reads: a missing or truncated one makes QEMU exit with a vaguer message. */
async function checkSnapshotInputs(snapshot: GuestSnapshot): Promise<void> {
  const stat = await fs.stat(snapshot.file).catch(() => null);
  if (!stat) throw new HarnessError('usage', `snapshot file ${snapshot.file} does not exist`);
  if (stat.size !== snapshot.sizeBytes) {
    throw new HarnessError('usage', `snapshot file ${snapshot.file} is ${stat.size} bytes, ${snapshot.sizeBytes} were saved: it is truncated or was replaced`);
  }
  for (const [what, file] of [
    ['kernel image', snapshot.launch.kernelImage],
    ['initrd', snapshot.launch.initrd],
  ] as const) {
    if (!(await fs.stat(file).catch(() => null))) {
      throw new HarnessError('usage', `the snapshot's ${what} ${file} is gone: QEMU needs the same files to accept the saved state`);
    }
  }
  for (const object of snapshot.spec.objects) {
    const backing = object.props['mem-path'];
    if (typeof backing === 'string' && !(await fs.stat(backing).catch(() => null))) {
      throw new HarnessError('usage', `the snapshot's memory backend ${object.id} file ${backing} is gone: the device set must match the saved one`);
    }
  }
  if (snapshot.launch.ramDir) {
    const ramFiles = await fs.readdir(snapshot.launch.ramDir).catch(() => [] as string[]);
    if (ramFiles.length === 0) throw new HarnessError('usage', `the snapshot's RAM files in ${snapshot.launch.ramDir} are gone: a copy-on-write snapshot restores only while its template's RAM is kept`);
  }
  const version = await qemuVersion();
  if (version !== snapshot.qemuVersion) {
    throw new HarnessError('usage', `the snapshot was saved by QEMU ${snapshot.qemuVersion}, this is QEMU ${version}`, {
      hint: 'take a fresh snapshot with this QEMU',
    });
  }
}

/** Words that may differ between the saved and the restoring QEMU: none of them is device state. */
function comparableArgs(args: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const word = args[i]!;
    if (word === '-incoming') {
      i++;
      continue;
    }
    if (word === '-name' || word === '-qmp') {
      out.push(word, '*');
      i++;
      continue;
    }
    // A boot-RAM file is shared by the template and private in a restore: the same memory.
    out.push(word.replace(/hostfwd=tcp:127\.0\.0\.1:\d+-:22/, 'hostfwd=tcp:127.0.0.1:*-:22').replace(/^(memory-backend-file,id=ram[^,]*,.*),share=(on|off)$/, '$1,share=*'));
  }
  return out;
}

/** The re-rendered command line must be the saved one but for port, socket and name. */
function checkSameDeviceSet(snapshot: GuestSnapshot, runtime: Omit<QemuRuntime, 'qmpSocket'>): void {
  const now = comparableArgs(renderQemuArgs(snapshot.spec, { ...runtime, qmpSocket: 'x' }));
  const saved = comparableArgs(snapshot.qemuArgs);
  const differs = now.findIndex((word, i) => word !== saved[i]);
  if (differs !== -1 || now.length !== saved.length) {
    const at = differs === -1 ? Math.min(now.length, saved.length) : differs;
    throw new HarnessError('usage', `the restore's QEMU command line differs from the saved one at word ${at}: ${JSON.stringify(now[at] ?? '(end)')} vs saved ${JSON.stringify(saved[at] ?? '(end)')}`, {
      hint: 'a snapshot restores only into the same machine, memory, CPUs and devices',
    });
  }
}

interface StatusInfo {
  status: string;
  running: boolean;
}

/**
 * Polls query-status until the VM runs (it autostarts once the stream is loaded) and watches
 * the MIGRATION event for a failed load; QEMU exits on a bad stream, which ends the wait too.
 */
async function waitUntilRunning(machine: QemuMachine, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let failed: string | null = null;
  const onEvent = (event: { event: string; data?: Record<string, unknown> }) => {
    if (event.event === 'MIGRATION' && event.data?.status === 'failed') failed = 'incoming migration failed';
  };
  machine.qmp.on('event', onEvent);
  try {
    let last = 'unknown';
    for (;;) {
      if (!machine.isRunning) {
        const exit = await machine.exited;
        throw new HarnessError('qemu', `QEMU exited (${exit.signal ?? `code ${exit.code}`}) while loading the snapshot${exit.stderr.trim() ? `: ${exit.stderr.trim().slice(0, 1000)}` : ''}`, {
          consoleTail: machine.console.tailText(40),
          consoleLog: machine.console.logPath,
        });
      }
      if (failed) {
        const exit = await Promise.race([machine.exited, sleep(2_000).then(() => null)]);
        throw new HarnessError('qemu', `${failed}${exit?.stderr.trim() ? `: ${exit.stderr.trim().slice(0, 1000)}` : machine.stderrSoFar.trim() ? `: ${machine.stderrSoFar.trim()}` : ''}`, {
          consoleTail: machine.console.tailText(40),
          consoleLog: machine.console.logPath,
        });
      }
      try {
        const info = await machine.qmp.execute<StatusInfo>('query-status', undefined, 5_000);
        last = info.status;
        if (info.status === 'running') return;
      } catch {
        // QEMU exiting: the loop's next turn reports it.
        await Promise.race([machine.exited, sleep(200)]);
        continue;
      }
      if (Date.now() > deadline) {
        throw new HarnessError('timeout', `the restored guest did not reach running within ${timeoutMs} ms (status ${last})${machine.stderrSoFar.trim() ? `; QEMU said: ${machine.stderrSoFar.trim().slice(0, 500)}` : ''}`, {
          consoleTail: machine.console.tailText(40),
          consoleLog: machine.console.logPath,
        });
      }
      await sleep(15);
    }
  } finally {
    machine.qmp.off('event', onEvent);
  }
}

function explainRestoreFailure(snapshot: GuestSnapshot, error: unknown): unknown {
  if (!(error instanceof HarnessError)) return error;
  if (/Unknown ramblock|Length mismatch|Unknown savevm section|section.*mismatch|Missing section footer|load of migration failed/i.test(error.message) && !error.details.hint) {
    return new HarnessError(error.kind, error.message, {
      ...error.details,
      hint: `the stream ${snapshot.file} does not fit this machine: it is truncated/corrupt or the device set differs from the saved one`,
    });
  }
  return error;
}
