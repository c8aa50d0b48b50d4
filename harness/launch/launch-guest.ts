import path from 'node:path';
import { chooseAccelerator, type AcceleratorChoice, type AcceleratorRequest } from '../host/accelerator.ts';
import { probeKvmBoot } from '../host/kvm-probe.ts';
import { isRoot } from '../host/apt-lists.ts';
import { ensureHostPackages } from '../host/prerequisites.ts';
import { qemuVersion } from '../host/qemu-version.ts';
import { buildGuestImage } from '../image/build-guest-image.ts';
import type { GuestImage } from '../image/guest-image.ts';
import type { PreparedKernel } from '../kernel/prepared-kernel.ts';
import { resolveKernel } from '../kernel/index.ts';
import { createRunKeys, type RunKeys } from '../ssh/run-keys.ts';
import { cacheDir as defaultCacheDir } from '../util/paths.ts';
import type { Progress } from '../util/progress.ts';
import { Guest } from '../vm/guest.ts';
import { bootModules, type GuestSpec } from '../vm/guest-spec.ts';

export interface LaunchOptions {
  kernelRef?: string;
  modulesDir?: string;
  spec: GuestSpec;
  accel: AcceleratorRequest;
  /** Per-run directory: keys, initrd, console log. */
  runDir: string;
  progress: Progress;
  sshPort?: number;
  cacheDir?: string;
  /** Deadline of each boot stage: kernel → init, init → SSH answering. */
  bootTimeoutMs?: number;
}

export interface PreparedLaunch {
  kernel: PreparedKernel;
  image: GuestImage;
  keys: RunKeys;
  accel: AcceleratorChoice;
  qemuVersion: string;
}

/**
 * Everything before QEMU starts: host packages, kernel, keys, initramfs, accelerator. Split
 * from the boot itself so several guests of one run (and the benchmark) share one preparation.
 */
export async function prepareLaunch(options: LaunchOptions): Promise<PreparedLaunch> {
  const cache = options.cacheDir ?? defaultCacheDir();
  // Checked once per process: a command's pre-action (cli/host-commands.ts) usually did it already.
  await ensureHostPackages({ install: isRoot(), progress: options.progress });
  const version = await qemuVersion();
  const kernel = await resolveKernel(options.kernelRef, { modulesDir: options.modulesDir, cacheDir: cache, progress: options.progress });
  const keys = await createRunKeys(path.join(options.runDir, 'keys'));
  const image = await options.progress.step('building guest image', () =>
    buildGuestImage({ kernel, modules: bootModules(options.spec), keys: keys.guest, runDir: options.runDir, cacheDir: cache, progress: options.progress }),
  );
  const accel = await chooseAccelerator({
    requested: options.accel,
    cacheDir: cache,
    qemuVersion: version,
    probe: () =>
      options.progress.step('probing KVM with a test boot', () =>
        probeKvmBoot({ kernel, image, machineDir: path.join(options.runDir, 'kvm-probe') }),
      ),
  });
  return { kernel, image, keys, accel, qemuVersion: version };
}

export async function bootPreparedGuest(
  prepared: PreparedLaunch,
  options: Pick<LaunchOptions, 'spec' | 'runDir' | 'progress' | 'sshPort' | 'bootTimeoutMs'> & { name?: string; ramDir?: string },
): Promise<Guest> {
  const name = options.name ?? 'guest';
  return options.progress.step(`booting ${prepared.kernel.release} (${prepared.accel.accel})`, () =>
    Guest.boot({
      name: `memharness-${name}`,
      spec: options.spec,
      kernel: prepared.kernel,
      image: prepared.image,
      keys: prepared.keys,
      accel: prepared.accel.accel,
      machineDir: path.join(options.runDir, name),
      sshPort: options.sshPort,
      bootTimeoutMs: options.bootTimeoutMs,
      readyTimeoutMs: options.bootTimeoutMs,
      ...(options.ramDir ? { ramDir: options.ramDir } : {}),
    }),
  );
}
