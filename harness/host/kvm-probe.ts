import { setTimeout as sleep } from 'node:timers/promises';
import type { GuestImage } from '../image/guest-image.ts';
import { INIT_MARKERS, renderInitCmdline } from '../image/init-protocol.ts';
import type { PreparedKernel } from '../kernel/prepared-kernel.ts';
import { defaultGuestSpec } from '../vm/guest-spec.ts';
import { baseKernelCmdline } from '../vm/guest.ts';
import { QemuMachine } from '../vm/qemu-machine.ts';
import type { KvmProbeResult } from './accelerator.ts';

const PROBE_DEADLINE_MS = 30_000;

/**
 * Boots the real kernel and initramfs under KVM without network and waits for the init's
 * first line. A broken nested KVM shows up as QEMU's run state `internal-error` (it pauses
 * rather than exits), so the state is polled alongside the console.
 */
export async function probeKvmBoot(options: { kernel: PreparedKernel; image: GuestImage; machineDir: string }): Promise<KvmProbeResult> {
  let machine: QemuMachine;
  try {
    machine = await QemuMachine.start({
      spec: defaultGuestSpec({ memoryMiB: 512, cpus: 1, ssh: false, rng: false, cpuModel: 'host' }),
      machineDir: options.machineDir,
      runtime: {
        name: 'memharness-kvm-probe',
        accel: 'kvm',
        // The bzImage when there is one: on a broken nested KVM its decompressor fails at
        // once, where the PVH vmlinux takes ~25 s to hit the same emulation failure.
        kernelImage: options.kernel.bzImage ?? options.kernel.bootImage,
        initrd: options.image.initrdPath,
        kernelCmdline: [...baseKernelCmdline(), ...renderInitCmdline({ modules: [], ssh: false, network: false })],
        sshPort: null,
      },
      qmpTimeoutMs: 10_000,
    });
  } catch (error) {
    return { usable: false, detail: `QEMU would not start with -accel kvm: ${error instanceof Error ? error.message.split('\n')[0] : String(error)}` };
  }
  const stop = new AbortController();
  try {
    const reachedInit = machine.console
      .waitForLine(new RegExp(INIT_MARKERS.start), { timeoutMs: PROBE_DEADLINE_MS, includeTail: true, signal: stop.signal })
      .then((line): KvmProbeResult => ({ usable: true, detail: `probe guest reached init in ${line.atMs} ms` }));
    const brokeDown = (async (): Promise<KvmProbeResult> => {
      while (!stop.signal.aborted && machine.isRunning) {
        // A failed KVM_RUN pauses the vCPU but QMP still says "running" for a long while;
        // QEMU's stderr says it at once.
        const kvmFailure = /KVM internal error.*|emulation failure|KVM: entry failed.*/.exec(machine.stderrSoFar);
        if (kvmFailure) return { usable: false, detail: `QEMU reported "${kvmFailure[0].trim()}"` };
        const status = await machine.qmp.execute<{ status: string }>('query-status').catch(() => ({ status: 'gone' }));
        if (status.status === 'internal-error' || status.status === 'guest-panicked' || status.status === 'gone') {
          return { usable: false, detail: `the probe guest stopped in state ${status.status}` };
        }
        await sleep(200);
      }
      return { usable: false, detail: 'QEMU exited during the probe boot' };
    })();
    return await Promise.race([reachedInit, brokeDown]).catch((error: unknown) => ({
      usable: false,
      detail: error instanceof Error ? error.message : String(error),
    }));
  } finally {
    stop.abort();
    machine.kill();
    await machine.exited;
  }
}
