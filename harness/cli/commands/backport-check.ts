import { Option, type Command } from 'commander';
import { backportFromRun, runBackportCheck } from '../../backport/run-backport-check.ts';
import type { AcceleratorRequest } from '../../host/accelerator.ts';
import { DEFAULT_REPORTERS } from '../../reporters/create-reporters.ts';
import { defaultSuitesDir } from '../default-suites-dir.ts';
import { collect, integer } from '../option-parsers.ts';
import { regexOption, workerCountOption } from './run.ts';

interface BackportCliOptions {
  base: string;
  candidate: string;
  output?: string;
  reporter: string[];
  retries: number;
  repeatEach: number;
  workers: number | 'auto';
  grep?: RegExp;
  tag: string[];
  accel: AcceleratorRequest;
  bootTimeout: number;
  snapshot: boolean;
  fromRun?: string;
}

/**
 * `memharness backport-check --base K1 --candidate K2 [suites...]`: runs the suites on both
 * kernels and says, case by case, what the candidate fixed, regressed or newly crashes on,
 * which version-dependent behaviours the suites expect differ, and whether the commits the
 * suites cite are in each kernel. Exit 1 when the candidate is worse than the base.
 */
export function registerBackportCheckCommand(program: Command): void {
  program
    .command('backport-check')
    .description('run suites on a base and a candidate kernel and report what changed: fixed, regressed, newly crashing, known differences, cited commits in each changelog')
    .argument('[suites...]', 'suite files or directories (default: suites/)')
    .requiredOption('--base <kernel>', 'the kernel the backports are judged against (e.g. 6.1.0-55, or a bzImage)')
    .requiredOption('--candidate <kernel>', 'the kernel with the backports (e.g. 6.1.0-56)')
    .option('-o, --output <dir>', 'the run directory to write (default: results/<run-id>/); backport.txt and backport.json go there too')
    .option('--reporter <names>', `reporters for the run, as for run (default: ${DEFAULT_REPORTERS.join(',')})`, collect, [])
    .option('--retries <n>', 'retry a failed, crashed or infra-error case up to n times', integer('--retries', 0, 1000), 0)
    .option('--repeat-each <n>', 'run each case n times on each kernel', integer('--repeat-each', 1, 1000), 1)
    .option('-j, --workers <n>', 'guests running cases at once, or auto', workerCountOption, 'auto')
    .option('-g, --grep <regex>', 'only cases whose key or title matches', regexOption)
    .option('--tag <tag>', 'only cases with this tag (repeatable)', collect, [])
    .addOption(new Option('--accel <accel>', 'accelerator; auto tries KVM and falls back to TCG').choices(['auto', 'kvm', 'tcg']).default('auto'))
    .option('--boot-timeout <seconds>', 'deadline for each boot stage', integer('--boot-timeout', 1, 3600), 240)
    .option('--no-snapshot', 'boot a fresh guest for every case')
    .option('--from-run <run>', 'boot nothing: report on a run that already holds both kernels (a run directory, a results.json, latest or a run id); --base/--candidate name two of its kernels, suites (default: those the run names) give the commit references')
    .action(async (paths: string[], options: BackportCliOptions) => {
      if (options.fromRun) {
        const outcome = await backportFromRun({
          fromRun: options.fromRun,
          base: options.base,
          candidate: options.candidate,
          paths,
          output: options.output,
          filter: { grep: options.grep, tags: options.tag },
        });
        process.exitCode = outcome.exitCode;
        return;
      }
      const outcome = await runBackportCheck({
        base: options.base,
        candidate: options.candidate,
        paths: paths.length > 0 ? paths : [defaultSuitesDir()],
        output: options.output,
        reporters: options.reporter.length > 0 ? options.reporter : [...DEFAULT_REPORTERS],
        retries: options.retries,
        repeatEach: options.repeatEach,
        workers: options.workers,
        filter: { grep: options.grep, tags: options.tag },
        accel: options.accel,
        bootTimeoutMs: options.bootTimeout * 1000,
        noSnapshot: !options.snapshot,
      });
      process.exitCode = outcome.exitCode;
    });
}
