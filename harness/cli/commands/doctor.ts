import fs from 'node:fs/promises';
import type { Command } from 'commander';
import { isRoot } from '../../host/apt-lists.ts';
import { HOST_PACKAGES, ensureHostPackages } from '../../host/prerequisites.ts';
import { prepareLaunch } from '../../launch/launch-guest.ts';
import { cacheDir } from '../../util/paths.ts';
import { createProgress } from '../../util/progress.ts';
import { defaultGuestSpec } from '../../vm/guest-spec.ts';
import { withRunDir } from '../run-dir.ts';

export function registerDoctorCommand(program: Command): void {
  program
    .command('doctor')
    .description('check (and as root install) what the host needs; prepare the default kernel; report the accelerator')
    .option('--install', 'install missing packages with apt (the default when running as root)')
    .option('--no-install', 'only report')
    .option('-k, --kernel <ref>', 'kernel to prepare and probe with (default: latest-6.12)')
    .option('--json', 'print one JSON object on stdout')
    .action(async (options: { install?: boolean; kernel?: string; json?: boolean }) => {
      const progress = createProgress();
      const install = options.install ?? isRoot();
      // The command's pre-action (host-commands.ts) did the check; this is its report, not a second check.
      const packages = await ensureHostPackages({ install, progress });
      const report = await withRunDir('doctor', async (runDir) => {
        const prepared = await prepareLaunch({ kernelRef: options.kernel, spec: defaultGuestSpec(), accel: 'auto', runDir, progress });
        const cache = cacheDir();
        await fs.mkdir(cache, { recursive: true });
        const stat = await fs.statfs(cache);
        return {
          packages: HOST_PACKAGES.map((p) => p.name),
          installedNow: packages.installed,
          qemu: prepared.qemuVersion,
          accel: prepared.accel.accel,
          accelReason: prepared.accel.reason,
          kernel: prepared.kernel.release,
          kernelId: prepared.kernel.id,
          cacheDir: cache,
          cacheFreeGiB: Number(((stat.bavail * stat.bsize) / 2 ** 30).toFixed(1)),
        };
      });
      if (options.json) {
        process.stdout.write(`${JSON.stringify(report)}\n`);
        return;
      }
      process.stdout.write(
        [
          `host packages  ok (${report.packages.length})${report.installedNow.length ? `; installed now: ${report.installedNow.join(' ')}` : ''}`,
          `qemu           ${report.qemu}`,
          `accelerator    ${report.accel}: ${report.accelReason}`,
          `default kernel ${report.kernel} (${report.kernelId})`,
          `cache          ${report.cacheDir} (${report.cacheFreeGiB} GiB free)`,
          '',
        ].join('\n'),
      );
    });
}
