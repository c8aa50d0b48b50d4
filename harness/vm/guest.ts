import path from 'node:path';
import { HarnessError } from '../util/errors.ts';
import type { PreparedKernel } from '../kernel/prepared-kernel.ts';
import type { GuestImage } from '../image/guest-image.ts';
import { INIT_MARKERS, parseInitMarker, renderInitCmdline } from '../image/init-protocol.ts';
import type { RunKeys } from '../ssh/run-keys.ts';
import { GuestSsh, type ExecOptions, type ExecResult } from '../ssh/guest-ssh.ts';
import { explainBootFailure } from './boot-failure.ts';
import { findFreeLoopbackPort } from './free-port.ts';
import { bootModules, type GuestSpec } from './guest-spec.ts';
import { topologyCmdline } from './topology.ts';
import type { Accelerator } from './qemu-args.ts';
import { HostPortBusyError, QemuMachine, type QemuExit } from './qemu-machine.ts';

export interface GuestBootOptions {
  name: string;
  spec: GuestSpec;
  kernel: PreparedKernel;
  image: GuestImage;
  keys: RunKeys;
  accel: Accelerator;
  /** Holds console.log, qmp.sock and the QEMU command line of this guest. */
  machineDir: string;
  /** Fixed host port for SSH; by default a free one is chosen (and re-chosen on collision). */
  sshPort?: number;
  /** From QEMU start to the init's first line (kernel boot). */
  bootTimeoutMs?: number;
  /** From the init's first line to SSH answering. */
  readyTimeoutMs?: number;
  /**
   * Keep the boot RAM in files in this directory (on tmpfs), mapped shared: the guest can then
   * be the template of copy-on-write snapshots (saveSnapshot sends device state only).
   */
  ramDir?: string;
}

export interface GuestTimings {
  /** QEMU start → the init's first console line. */
  bootMs: number;
  /** QEMU start → the init's ready line. */
  initReadyMs: number;
  /** QEMU start → first SSH command answered (null without SSH). */
  readyMs: number | null;
  /** Set on a guest restored from a snapshot: QEMU start → SSH answered (equals readyMs;
   *  bootMs and initReadyMs are 0 since the kernel did not boot). */
  restoreMs?: number;
}

/** What a snapshot of this guest needs to start an identical QEMU again (kept by Guest). */
export interface GuestLaunchInputs {
  kernelImage: string;
  initrd: string;
  kernelCmdline: string[];
  keys: Pick<RunKeys, 'clientPrivateKey' | 'hostKeyBlob'>;
  /** The boot RAM files' directory, when the guest was booted with GuestBootOptions.ramDir. */
  ramDir?: string;
}

export interface GuestAttachOptions {
  name: string;
  machine: QemuMachine;
  kernel: PreparedKernel;
  spec: GuestSpec;
  accel: Accelerator;
  sshPort: number | null;
  launch: GuestLaunchInputs;
  /** Deadline for SSH to answer, from now. */
  readyTimeoutMs?: number;
  /** Shell words run before `uname -r` in the same first command (e.g. setting the clock);
   *  a function so that it is rendered at the moment the command is sent. */
  firstCommandPrefix?: () => string;
  /** Given what the first command printed before `uname -r` (the prefix's output, line by line). */
  onFirstOutput?: (lines: string[]) => void;
  /** The machine was restored from a snapshot: timings.restoreMs = readyMs. */
  restored?: boolean;
}

const PORT_ATTEMPTS = 5;

/** Kernel command line every guest gets, before the init's parameters and the spec's own. */
export function baseKernelCmdline(spec?: Pick<GuestSpec, 'acpiIrqRouting'>): string[] {
  // panic=-1 with QEMU's -no-reboot turns a panic into an immediate QEMU exit, so a dead
  // guest is noticed at once instead of at a timeout.
  return ['console=ttyS0', 'panic=-1', 'printk.time=1', ...(spec?.acpiIrqRouting === false ? ['acpi=noirq'] : [])];
}

/**
 * A booted guest: QEMU, its console and QMP, and (unless disabled) an SSH connection that
 * answered a first command.
 */
export class Guest {
  private constructor(
    readonly name: string,
    readonly machine: QemuMachine,
    readonly kernel: PreparedKernel,
    readonly spec: GuestSpec,
    readonly accel: Accelerator,
    readonly sshPort: number | null,
    readonly timings: GuestTimings,
    private sshConnection: GuestSsh | null,
    readonly unameRelease: string | null,
    /** Inputs of the QEMU command line and the run's SSH keys: what a snapshot records. */
    readonly launch: GuestLaunchInputs | null = null,
  ) {}

  static async boot(options: GuestBootOptions): Promise<Guest> {
    const kernelCmdline = guestKernelCmdline(options.spec);
    let machine: QemuMachine | undefined;
    let sshPort: number | null = null;
    for (let attempt = 1; attempt <= PORT_ATTEMPTS && !machine; attempt++) {
      sshPort = options.spec.ssh ? (options.sshPort ?? (await findFreeLoopbackPort())) : null;
      try {
        machine = await QemuMachine.start({
          spec: options.spec,
          machineDir: options.machineDir,
          runtime: {
            name: options.name,
            accel: options.accel,
            kernelImage: options.kernel.bootImage,
            initrd: options.image.initrdPath,
            kernelCmdline,
            sshPort,
            ...(options.ramDir ? { ram: { dir: options.ramDir, share: true } } : {}),
          },
        });
      } catch (error) {
        if (!(error instanceof HostPortBusyError)) throw error;
        if (options.sshPort !== undefined) {
          throw new HarnessError('usage', `SSH port 127.0.0.1:${options.sshPort} is already in use by another process`, {
            hint: 'choose another --ssh-port, or leave it out to let memharness pick a free one',
          });
        }
      }
    }
    if (!machine) throw new HarnessError('qemu', `could not find a free loopback port for SSH after ${PORT_ATTEMPTS} attempts`);

    try {
      return await Guest.waitUntilReady(options, machine, sshPort);
    } catch (error) {
      const explained = await explainBootFailure(machine, 'booting', error);
      machine.kill();
      await machine.exited;
      throw explained;
    }
  }

  private static async waitUntilReady(options: GuestBootOptions, machine: QemuMachine, sshPort: number | null): Promise<Guest> {
    const started = machine.startedAt;
    const initStart = await machine.console.waitForLine(markerPattern(INIT_MARKERS.start), {
      timeoutMs: options.bootTimeoutMs ?? 180_000,
      includeTail: true,
    });
    // The SSH handshake (key exchange under TCG: ~200 ms of guest CPU) overlaps with the
    // init loading modules; only the first command waits for the ready line, so a user
    // never runs anything before the requested modules are in.
    const networkUp =
      sshPort === null
        ? null
        : await machine.console.waitForLine(/memharness-init: (network-up|ready ssh=[01])/, {
            timeoutMs: options.readyTimeoutMs ?? 120_000,
            includeTail: true,
          });
    const earlyConnect =
      networkUp === null || sshPort === null
        ? null
        : GuestSsh.connect({
            port: sshPort,
            privateKey: options.keys.clientPrivateKey,
            hostKeyBlob: options.keys.hostKeyBlob,
            deadline: Date.now() + (options.readyTimeoutMs ?? 120_000),
            isGuestAlive: () => machine.isRunning,
            retryDelayMs: 20,
          });
    // Settled here so a failure before the ready line is reported by the wait below.
    earlyConnect?.catch(() => undefined);
    let ready;
    try {
      ready = await machine.console.waitForLine(/memharness-init: ready ssh=[01]/, {
        timeoutMs: options.readyTimeoutMs ?? 120_000,
        includeTail: true,
      });
    } catch (error) {
      void earlyConnect?.then((connection) => connection.close(), () => undefined);
      throw error;
    }
    const problems = machine.console
      .lines()
      .map((line) => parseInitMarker(line.text))
      .flatMap((event) => {
        if (event?.kind === 'modprobe-failed') return [`module ${event.module} failed to load: ${event.message}`];
        if (event?.kind === 'error') return [`${event.area}: ${event.message}`];
        return [];
      });
    const readyEvent = parseInitMarker(ready.text);
    const sshMissing = sshPort !== null && readyEvent?.kind === 'ready' && !readyEvent.ssh;
    if (problems.length > 0 || sshMissing) {
      void earlyConnect?.then((connection) => connection.close(), () => undefined);
      throw new HarnessError('boot', `the guest's init reported: ${problems.join('; ') || 'ready without SSH although SSH was requested'}`, {
        consoleTail: machine.console.tailText(40),
        consoleLog: machine.console.logPath,
      });
    }
    let ssh: GuestSsh | null = null;
    let readyMs: number | null = null;
    let release: string | null = null;
    if (sshPort !== null) {
      ssh = await earlyConnect!;
      const uname = await ssh.exec('uname -r', { timeoutMs: 60_000 });
      readyMs = Date.now() - started;
      if (uname.exitCode !== 0) throw new Error(`uname -r failed in the guest: ${uname.stderr}`);
      release = uname.stdout.trim();
    }
    const timings: GuestTimings = { bootMs: initStart.atMs, initReadyMs: ready.atMs, readyMs };
    const launch: GuestLaunchInputs = {
      kernelImage: options.kernel.bootImage,
      initrd: options.image.initrdPath,
      kernelCmdline: guestKernelCmdline(options.spec),
      keys: { clientPrivateKey: options.keys.clientPrivateKey, hostKeyBlob: options.keys.hostKeyBlob },
      ...(options.ramDir ? { ramDir: options.ramDir } : {}),
    };
    return new Guest(options.name, machine, options.kernel, options.spec, options.accel, sshPort, timings, ssh, release, launch);
  }

  /**
   * A Guest around a QEMU whose kernel is already up (e.g. restored from a snapshot): no init
   * markers to wait for, only a fresh SSH connection that answers a first command. The caller
   * owns the machine until this resolves; on failure it must kill it.
   */
  static async attach(options: GuestAttachOptions): Promise<Guest> {
    const { machine, sshPort } = options;
    let ssh: GuestSsh | null = null;
    let readyMs: number | null = null;
    let release: string | null = null;
    if (sshPort !== null) {
      ssh = await GuestSsh.connect({
        port: sshPort,
        privateKey: options.launch.keys.clientPrivateKey,
        hostKeyBlob: options.launch.keys.hostKeyBlob,
        deadline: Date.now() + (options.readyTimeoutMs ?? 60_000),
        isGuestAlive: () => machine.isRunning,
        retryDelayMs: 20,
      });
      const prefix = options.firstCommandPrefix?.();
      // Shell builtins only (no fork): a restored guest runs cold under TCG, every process costs.
      const readRelease = 'read -r r < /proc/sys/kernel/osrelease && echo "$r"';
      const uname = await ssh.exec(prefix ? `${prefix} && ${readRelease}` : readRelease, { timeoutMs: 60_000 });
      readyMs = Date.now() - machine.startedAt;
      if (uname.exitCode !== 0) {
        ssh.close();
        throw new Error(`first command failed in the guest (exit ${uname.exitCode}): ${uname.stderr.trim()}`);
      }
      const lines = uname.stdout.trim().split('\n');
      release = lines.pop() ?? null;
      options.onFirstOutput?.(lines);
    }
    const timings: GuestTimings = { bootMs: 0, initReadyMs: 0, readyMs };
    if (options.restored) timings.restoreMs = readyMs ?? Date.now() - machine.startedAt;
    return new Guest(options.name, machine, options.kernel, options.spec, options.accel, sshPort, timings, ssh, release, options.launch);
  }

  private unfitReason: string | null = null;

  /**
   * Marks a guest whose state a snapshot must not capture: a real MCE taints it and disables
   * unpoison for the rest of the boot, and a hot-added or removed DIMM or a resized virtio-mem
   * device changes the device set a restore must match. saveSnapshot refuses such a guest.
   * (Each guest of a run serves one attempt; this is only about snapshots, and about test
   * files that share one booted guest between their cases.)
   */
  markUnfitForSnapshot(reason: string): void {
    this.unfitReason ??= reason;
  }

  get fitForSnapshot(): boolean {
    return this.unfitReason === null;
  }

  get unfitForSnapshotBecause(): string | null {
    return this.unfitReason;
  }

  get ssh(): GuestSsh {
    if (!this.sshConnection) throw new HarnessError('usage', `guest ${this.name} was booted without SSH`);
    return this.sshConnection;
  }

  get consoleLogPath(): string {
    return this.machine.console.logPath;
  }

  get machineDir(): string {
    return path.dirname(this.machine.console.logPath);
  }

  /** Runs a command; a lost connection or dead guest becomes a HarnessError with the console. */
  async exec(command: string, options?: ExecOptions): Promise<ExecResult> {
    try {
      return await this.ssh.exec(command, options);
    } catch (error) {
      throw await explainBootFailure(this.machine, `running \`${command}\``, error);
    }
  }

  /**
   * After a failed guest command: is the guest dying? A panic reaches QEMU's exit
   * (panic=-1, -no-reboot) a moment after SSH breaks, so wait briefly before calling it alive.
   */
  async diesWithin(graceMs = 10_000): Promise<boolean> {
    if (!this.machine.isRunning) return true;
    let timer: NodeJS.Timeout | undefined;
    const outcome = await Promise.race([
      this.machine.exited.then(() => 'exited' as const),
      new Promise<'alive'>((resolve) => {
        timer = setTimeout(() => resolve('alive'), graceMs);
      }),
    ]);
    clearTimeout(timer);
    return outcome === 'exited';
  }

  /** Stops the guest for good: QMP quit, SIGKILL to the process group after the grace time. */
  async shutdown(graceMs = 5_000): Promise<QemuExit> {
    this.sshConnection?.close();
    this.sshConnection = null;
    return this.machine.quit(graceMs);
  }
}

/** The whole kernel command line of a guest booted from `spec`. */
export function guestKernelCmdline(spec: GuestSpec): string[] {
  return [
    ...baseKernelCmdline(spec),
    ...renderInitCmdline({ modules: [...(spec.rng ? ['virtio_rng'] : []), ...bootModules(spec)], ssh: spec.ssh, network: spec.ssh }),
    ...topologyCmdline(spec),
    ...spec.cmdline,
  ];
}

function markerPattern(marker: string): RegExp {
  return new RegExp(marker.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
}
