import type { Command } from 'commander';
import { formatKernelList, listKernels } from '../../kernel/index.ts';
import { cacheDir } from '../../util/paths.ts';
import { createProgress } from '../../util/progress.ts';

export function registerKernelsCommand(program: Command): void {
  program
    .command('kernels')
    .description('list the prepared (cached) kernels and the Debian builds the archive offers')
    .option('--json', 'print one JSON object on stdout')
    .action(async (options: { json?: boolean }) => {
      const cache = cacheDir();
      const list = await listKernels({ cacheDir: cache, progress: createProgress() });
      process.stdout.write(options.json ? `${JSON.stringify(list)}\n` : `${formatKernelList(list, { cacheDir: cache })}\n`);
    });
}
