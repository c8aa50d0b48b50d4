import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Option, type Command } from 'commander';
import { findCase, parseCaseRef } from '../../bisect/case-ref.ts';
import { runGitStep, STEP_EXIT } from '../../bisect/git-step.ts';
import type { AcceleratorRequest } from '../../host/accelerator.ts';
import { normaliseTitle } from '../../kernel-log/crash/normalise-title.ts';
import { formatError, HarnessError } from '../../util/errors.ts';
import { createProgress } from '../../util/progress.ts';
import { defaultSuitesDir } from '../default-suites-dir.ts';
import { collect, integer } from '../option-parsers.ts';

interface BisectStepCliOptions {
  build?: string;
  case: string;
  suites?: string[];
  runs: number;
  badThreshold: number;
  fix?: boolean;
  kernelFile?: string;
  crashTitle: string[];
  dir?: string;
  output?: string;
  workers: number;
  accel: AcceleratorRequest;
}

/**
 * `memharness bisect-step`: one step of `git bisect run` (what `bisect --git` runs at each
 * commit, and usable directly: `git bisect run memharness bisect-step ...`). Exit 0 good,
 * 1 bad (with --fix: 0 still failing, 1 fixed), 125 skip (build failure, no kernel, boot
 * failure, inconclusive runs), 128 the step itself could not start (git stops the bisect
 * rather than take that for a bad commit), 130 interrupted.
 */
export function registerBisectStepCommand(program: Command): void {
  program
    .command('bisect-step')
    .description('one git bisect step: build the checked-out commit, run the case on its kernel, exit 0 good / 1 bad / 125 skip')
    .requiredOption('--case <suite:case>', 'the case to run')
    .option('--build <cmd>', 'shell command that builds the commit, run in --dir (a failure is a skip)')
    .option('--kernel-file <file>', 'file (relative to --dir) the build writes the kernel reference into (a Debian build or a bzImage path); default: --dir is a kernel build tree')
    .option('--suites <paths...>', 'suite files or directories to find the case in (default: suites/)')
    .option('--runs <n>', 'runs of the case', integer('--runs', 1, 100), 3)
    .option('--bad-threshold <k>', 'failing runs that make the commit bad', integer('--bad-threshold', 1, 100), 1)
    .option('--fix', 'the bisect looks for a fix: exit 0 while the case fails, 1 once it passes')
    .option('--crash-title <title>', 'a crash counts as the bug only with this title (repeatable); default: any crash does', collect, [])
    .option('--dir <dir>', 'the worktree (default: the current directory)')
    .option('-o, --output <dir>', "where the step's runs go, as NN-<commit>/ next to the others, and steps.jsonl (default: a new temporary directory)")
    .option('-j, --workers <n>', 'guests at once', integer('--workers', 1, 64), 1)
    .addOption(new Option('--accel <accel>', 'accelerator').choices(['auto', 'kvm', 'tcg']).default('auto'))
    .action(async (options: BisectStepCliOptions) => {
      try {
        if (options.badThreshold > options.runs) throw new HarnessError('usage', `--bad-threshold ${options.badThreshold} is more than --runs ${options.runs}`);
        const ref = parseCaseRef(options.case);
        const found = await findCase(options.suites ?? [defaultSuitesDir()], ref);
        const output = path.resolve(options.output ?? (await fs.mkdtemp(path.join(os.tmpdir(), 'memharness-bisect-step-'))));
        const result = await runGitStep({
          dir: path.resolve(options.dir ?? '.'),
          build: options.build ?? null,
          kernelFile: options.kernelFile ?? null,
          caseKey: ref.key,
          suiteFile: found.file,
          runs: options.runs,
          badThreshold: options.badThreshold,
          fix: Boolean(options.fix),
          crashTitles: options.crashTitle.map(normaliseTitle),
          output,
          workers: options.workers,
          accel: options.accel,
          progress: createProgress(),
          log: (line) => process.stdout.write(`${line}\n`),
        });
        process.exitCode = result.exitCode;
      } catch (error) {
        process.stderr.write(`${formatError(error)}\n`);
        process.exitCode = error instanceof HarnessError && error.kind === 'interrupted' ? STEP_EXIT.interrupted : STEP_EXIT.abort;
      }
    });
}
