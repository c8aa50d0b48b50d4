import type { Command } from 'commander';
import { bootPreparedGuest, prepareLaunch } from '../../launch/launch-guest.ts';
import { createProgress } from '../../util/progress.ts';
import { addGuestOptions, guestSpecFromOptions, type GuestCliOptions } from '../guest-options.ts';
import { withRunDir } from '../run-dir.ts';

export function registerShellCommand(program: Command): void {
  addGuestOptions(program.command('shell'))
    .description('open an interactive SSH shell in a fresh guest; the guest stops when the shell exits')
    .action(async (options: GuestCliOptions) => {
      const spec = guestSpecFromOptions(options);
      const progress = createProgress();
      await withRunDir('shell', async (runDir) => {
        const prepared = await prepareLaunch({ kernelRef: options.kernel, modulesDir: options.modules, spec, accel: options.accel, runDir, progress, sshPort: options.sshPort });
        const guest = await bootPreparedGuest(prepared, { spec, runDir, progress, sshPort: options.sshPort });
        progress.info(`guest ${guest.unameRelease} ready; console log: ${guest.consoleLogPath}; exit the shell to stop it`);
        try {
          const channel = await guest.ssh.shell({
            rows: process.stdout.rows ?? 24,
            cols: process.stdout.columns ?? 80,
            term: process.env.TERM ?? 'vt100',
          });
          const stdin = process.stdin;
          const raw = stdin.isTTY;
          if (raw) stdin.setRawMode(true);
          stdin.pipe(channel);
          channel.pipe(process.stdout);
          channel.stderr.pipe(process.stderr);
          const onResize = () => channel.setWindow(process.stdout.rows ?? 24, process.stdout.columns ?? 80, 0, 0);
          process.stdout.on('resize', onResize);
          await new Promise<void>((resolve) => channel.on('close', () => resolve()));
          process.stdout.off('resize', onResize);
          stdin.unpipe(channel);
          if (raw) stdin.setRawMode(false);
          stdin.pause();
        } finally {
          await guest.shutdown();
        }
      });
    });
}
