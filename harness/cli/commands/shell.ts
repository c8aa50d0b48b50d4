import type { Command } from 'commander';
import { withFreshGuest } from '../fresh-guest.ts';
import { addGuestOptions, type GuestCliOptions } from '../guest-options.ts';

export function registerShellCommand(program: Command): void {
  addGuestOptions(program.command('shell'))
    .description('open an interactive SSH shell in a fresh guest; the guest stops when the shell exits')
    .action(async (options: GuestCliOptions) => {
      await withFreshGuest('shell', options, async (guest, _prepared, progress) => {
        progress.info(`guest ${guest.unameRelease} ready; console log: ${guest.consoleLogPath}; exit the shell to stop it`);
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
      });
    });
}
