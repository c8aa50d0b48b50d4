import type { Command } from 'commander';
import { HarnessError } from '../../util/errors.ts';
import { withFreshGuest } from '../fresh-guest.ts';
import { addGuestOptions, type GuestCliOptions } from '../guest-options.ts';

export function registerExecCommand(program: Command): void {
  addGuestOptions(program.command('exec'))
    .description('run one command in a fresh guest and exit with its exit code')
    .argument('<command...>', 'the command and its arguments (put them after --)')
    .option('--timeout <seconds>', 'deadline for the command', (v) => Number(v), 600)
    .action(async (words: string[], options: GuestCliOptions & { timeout: number }) => {
      if (!Number.isFinite(options.timeout) || options.timeout <= 0) throw new HarnessError('usage', '--timeout must be a positive number of seconds');
      process.exitCode = await withFreshGuest('exec', options, async (guest) => {
        const result = await guest.exec(words.map(shellWord).join(' '), { timeoutMs: options.timeout * 1000 });
        process.stdout.write(result.stdout);
        process.stderr.write(result.stderr);
        if (result.exitCode === null) throw new HarnessError('ssh', `the guest command ended without an exit status${result.signal ? ` (signal ${result.signal})` : ''}`);
        return result.exitCode;
      });
    });
}

/** One argv word, quoted for the guest's /bin/sh. */
function shellWord(word: string): string {
  return /^[A-Za-z0-9_./:=,+@%-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}
