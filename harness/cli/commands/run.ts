import path from 'node:path';
import { Command, InvalidArgumentError, Option } from 'commander';
import { writeComparison } from '../../compare/write-comparison.ts';
import { loadRunRef } from '../../results/load-run-ref.ts';
import { defaultResultsRoot, pruneRuns } from '../../results/run-dirs.ts';
import { EXIT_INFRA, HarnessError } from '../../util/errors.ts';
import { DEFAULT_REPORTERS, parseReporterNames } from '../../reporters/create-reporters.ts';
import { htmlReportLocation } from '../../reporters/html-reporter.ts';
import { parseShard, type Shard } from '../../runner/run-plan.ts';
import { runSuites } from '../../runner/run-suites.ts';
import { defaultSuitesDir } from '../default-suites-dir.ts';
import { collect, integer } from '../option-parsers.ts';

function shardOption(value: string): Shard {
  try {
    return parseShard(value);
  } catch (error) {
    throw new InvalidArgumentError(error instanceof Error ? error.message : String(error));
  }
}

export function workerCountOption(value: string): number | 'auto' {
  return value === 'auto' ? 'auto' : integer('--workers', 1, 64)(value);
}

export function regexOption(value: string): RegExp {
  try {
    return new RegExp(value);
  } catch (error) {
    throw new InvalidArgumentError(`not a regular expression: ${error instanceof Error ? error.message : String(error)}`);
  }
}

interface RunCliOptions {
  kernel: string[];
  kernels: string[];
  shard?: Shard;
  shardDurations?: string;
  output?: string;
  reporter: string[];
  retries: number;
  repeatEach: number;
  workers: number | 'auto';
  maxFailures: number;
  x?: boolean;
  grep?: RegExp;
  tag: string[];
  list?: boolean;
  accel: 'auto' | 'kvm' | 'tcg';
  bootTimeout: number;
  snapshot: boolean;
  keep?: number;
  baseline?: string;
}

/** --keep prunes only the default results/ tree: a run written elsewhere (--output) says so and prunes nothing. */
async function keepNewestRuns(keep: number, runDir: string, protect: readonly string[] = []): Promise<void> {
  if (path.dirname(path.resolve(runDir)) !== path.resolve(defaultResultsRoot)) {
    process.stderr.write(`memharness: --keep ignored: the run was written to ${runDir}, outside ${defaultResultsRoot}\n`);
    return;
  }
  const removed = await pruneRuns(keep, { protect: [runDir, ...protect] });
  if (removed.length > 0) process.stderr.write(`memharness: --keep ${keep}: removed ${removed.length} older run(s): ${removed.join(', ')}\n`);
}

/**
 * `memharness run [suites...]`: runs suites on one kernel and writes results/<run-id>/
 * (results.json always, report.html by default; junit.xml, results.ktap, kcidb.json as
 * asked). Exit code: 0 all passed, 1 the kernel failed a case, 2 infrastructure or suite
 * problems, 130 interrupted.
 */
export function registerRunCommand(program: Command): void {
  program
    .command('run')
    .description('run suites on a kernel: boot once per guest configuration, restore a snapshot per case, write the results')
    .argument('[suites...]', 'suite files or directories (default: suites/)')
    .option('-k, --kernel <ref>', 'Debian build (6.12.117, 6.1.0-56, latest-6.1, latest-6.12, package name), a bzImage/vmlinux path, or a kernel build tree; repeat it, or give a comma list and ranges of Debian builds (6.1.0-47..6.1.0-56,latest-6.12), to run on several (default: latest-6.12)', collect, [])
    .option('--kernels <list>', 'same as --kernel: a comma list and ranges', collect, [])
    .option('--shard <i/n>', 'run the i-th of n deterministic shares of the work, whole guest groups (kernel x guest configuration) balanced by case count, so no group boots twice; `memharness merge` joins the shards', shardOption)
    .option('--shard-durations <run>', "with --shard: balance the groups by this run's case durations (a run directory, a results.json, latest or a run id; give every shard the same run)")
    .option('-o, --output <dir>', 'the run directory to write (default: results/<run-id>/)')
    .option('--reporter <names>', `reporters, comma-separated or repeated: list, json, junit, ktap, html, kcidb (default: ${DEFAULT_REPORTERS.join(',')})`, collect, [])
    .option('--retries <n>', 'retry a failed, crashed or infra-error case up to n times (passing on retry: flaky)', integer('--retries', 0, 1000), 0)
    .option('--repeat-each <n>', 'run each case n times', integer('--repeat-each', 1, 1000), 1)
    .option('-j, --workers <n>', 'guests running cases at once, or auto (one per host CPU, as memory allows)', workerCountOption, 'auto')
    .option('-x', 'stop after the first kernel failure (--max-failures 1)')
    .option('--max-failures <n>', 'stop starting cases after n kernel failures (failed, crashed, xpass); the rest are listed as skipped', integer('--max-failures', 0, 100000), 0)
    .option('-g, --grep <regex>', 'only cases whose key or title matches', regexOption)
    .option('--tag <tag>', 'only cases with this tag (repeatable: all must be present)', collect, [])
    .option('--list', 'list the cases that would run, boot nothing')
    .addOption(new Option('--accel <accel>', 'accelerator; auto tries KVM with a probe boot and falls back to TCG').choices(['auto', 'kvm', 'tcg']).default('auto'))
    .option('--boot-timeout <seconds>', 'deadline for each boot stage', integer('--boot-timeout', 1, 3600), 240)
    .option('--no-snapshot', 'boot a fresh guest for every case instead of restoring a snapshot')
    .option('--baseline <run>', 'compare the run with this one when it ends (a run directory, a results.json, latest or a run id; latest is the newest run before this one): compare.json and compare.md in the run directory, exit 1 only on a regression')
    .option('--keep <n>', 'after the run, delete the oldest run directories under results/ so that n remain', integer('--keep', 1, 100000))
    .action(async (paths: string[], options: RunCliOptions) => {
      // Read before the run starts, so `latest` means the previous run and a bad baseline costs no boot.
      const baseline = options.baseline && !options.list ? await loadRunRef(options.baseline) : null;
      if (options.shardDurations !== undefined && !options.shard) throw new HarnessError('usage', '--shard-durations needs --shard i/n');
      const shardDurations = options.shardDurations !== undefined ? (await loadRunRef(options.shardDurations)).run : undefined;
      const reporters = options.reporter.length > 0 ? options.reporter : [...DEFAULT_REPORTERS];
      const outcome = await runSuites({
        paths: paths.length > 0 ? paths : [defaultSuitesDir()],
        kernels: [...options.kernel, ...options.kernels],
        ...(options.shard ? { shard: options.shard } : {}),
        ...(shardDurations ? { shardDurations } : {}),
        output: options.output,
        reporters,
        retries: options.retries,
        repeatEach: options.repeatEach,
        workers: options.workers,
        maxFailures: options.x ? 1 : options.maxFailures,
        filter: { grep: options.grep, tags: options.tag },
        list: options.list,
        accel: options.accel,
        bootTimeoutMs: options.bootTimeout * 1000,
        noSnapshot: !options.snapshot,
        // A job that chose where its results go, or which reports, finds suite problems there too.
        reportLoadProblems: options.output !== undefined || options.reporter.length > 0,
      });
      process.exitCode = outcome.exitCode;
      if (baseline && outcome.runDir && outcome.run && !outcome.run.interrupted && outcome.exitCode !== EXIT_INFRA) {
        process.stdout.write(`\ncompared with ${baseline.dir}:\n`);
        process.exitCode = await writeComparison(baseline, await loadRunRef(outcome.runDir), outcome.runDir);
      }
      if (options.keep !== undefined && outcome.runDir) await keepNewestRuns(options.keep, outcome.runDir, baseline ? [baseline.dir] : []);
      // The last lines printed, after compare's summary (whose categories the report now shows).
      const report = outcome.runDir && outcome.run && parseReporterNames(reporters).includes('html') ? await htmlReportLocation(outcome.runDir, outcome.run) : null;
      if (report) process.stdout.write(report);
    });
}
