import type { Command } from 'commander';
import { withFreshGuest } from '../fresh-guest.ts';
import { addGuestOptions, type GuestCliOptions } from '../guest-options.ts';

export interface BootReport {
  kernel: string | null;
  kernelId: string;
  accel: 'kvm' | 'tcg';
  accelReason: string;
  qemu: string;
  bootMs: number;
  initReadyMs: number;
  readyMs: number | null;
  /** Peak RSS of the harness process itself (QEMU not included). */
  maxRssMiB: number;
}

export function registerBootCommand(program: Command): void {
  addGuestOptions(program.command('boot'))
    .description('boot a guest, run `uname -r` over SSH, print the timings, shut down')
    .option('--json', 'print one JSON object on stdout')
    .action(async (options: GuestCliOptions & { json?: boolean }) => {
      const report = await withFreshGuest('boot', options, async (guest, prepared): Promise<BootReport> => ({
        kernel: guest.unameRelease,
        kernelId: prepared.kernel.id,
        accel: prepared.accel.accel,
        accelReason: prepared.accel.reason,
        qemu: prepared.qemuVersion,
        ...guest.timings,
        maxRssMiB: Math.round(process.resourceUsage().maxRSS / 1024),
      }));
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
          `rss     ${report.maxRssMiB} MiB  peak of the harness process`,
          '',
        ].join('\n'),
      );
    });
}
