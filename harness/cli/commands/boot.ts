import type { Command } from 'commander';
import { bootPreparedGuest, prepareLaunch } from '../../launch/launch-guest.ts';
import { createProgress } from '../../util/progress.ts';
import { addGuestOptions, guestSpecFromOptions, type GuestCliOptions } from '../guest-options.ts';
import { withRunDir } from '../run-dir.ts';

export interface BootReport {
  kernel: string | null;
  kernelId: string;
  accel: 'kvm' | 'tcg';
  accelReason: string;
  qemu: string;
  bootMs: number;
  initReadyMs: number;
  readyMs: number | null;
}

export function registerBootCommand(program: Command): void {
  addGuestOptions(program.command('boot'))
    .description('boot a guest, run `uname -r` over SSH, print the timings, shut down')
    .option('--json', 'print one JSON object on stdout')
    .action(async (options: GuestCliOptions & { json?: boolean }) => {
      const spec = guestSpecFromOptions(options);
      const progress = createProgress();
      const report = await withRunDir('boot', async (runDir) => {
        const prepared = await prepareLaunch({ kernelRef: options.kernel, modulesDir: options.modules, spec, accel: options.accel, runDir, progress, sshPort: options.sshPort });
        const guest = await bootPreparedGuest(prepared, { spec, runDir, progress, sshPort: options.sshPort });
        try {
          return {
            kernel: guest.unameRelease,
            kernelId: prepared.kernel.id,
            accel: prepared.accel.accel,
            accelReason: prepared.accel.reason,
            qemu: prepared.qemuVersion,
            ...guest.timings,
          } satisfies BootReport;
        } finally {
          await guest.shutdown();
        }
      });
      if (options.json) {
        process.stdout.write(`${JSON.stringify(report)}\n`);
        return;
      }
      const seconds = (ms: number | null) => (ms === null ? 'n/a' : `${(ms / 1000).toFixed(2)} s`);
      process.stdout.write(
        [
          `kernel  ${report.kernel} (${report.kernelId})`,
          `accel   ${report.accel}: ${report.accelReason}`,
          `qemu    ${report.qemu}`,
          `boot    ${seconds(report.bootMs)}  QEMU start → init`,
          `init    ${seconds(report.initReadyMs)}  QEMU start → init ready (network, SSH, modules)`,
          `ready   ${seconds(report.readyMs)}  QEMU start → first SSH command answered`,
          '',
        ].join('\n'),
      );
    });
}
