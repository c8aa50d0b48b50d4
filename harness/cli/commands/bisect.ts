import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { Option, type Command } from 'commander';
import { defaultDebianBisectDir, defaultGitBisectDir } from '../../bisect/bisect-dir.ts';
import { writeBisectState, type BisectArgs } from '../../bisect/bisect-state.ts';
import { findCase, parseCaseRef } from '../../bisect/case-ref.ts';
import { runCaseRound } from '../../bisect/case-round.ts';
import { summariseChanges } from '../../bisect/changes-summary.ts';
import { debianCandidates } from '../../bisect/debian-candidates.ts';
import { runDebianBisect } from '../../bisect/debian-bisect.ts';
import { changesLines, renderDebianReport, resultLines } from '../../bisect/debian-report.ts';
import { runGitBisect } from '../../bisect/git-bisect.ts';
import { gitResultLines, renderGitReport } from '../../bisect/git-report.ts';
import { DEFAULT_KEYWORDS } from '../../bisect/keywords.ts';
import { readStepRecords, STEP_LOG_FILE } from '../../bisect/step-log.ts';
import type { AcceleratorRequest } from '../../host/accelerator.ts';
import { aptArchive, findInArchive } from '../../kernel/debian-archive.ts';
import { normaliseTitle } from '../../kernel-log/crash/normalise-title.ts';
import { writeFileAtomic } from '../../results/atomic-write.ts';
import { HarnessError } from '../../util/errors.ts';
import { cacheDir, projectRoot } from '../../util/paths.ts';
import { createProgress } from '../../util/progress.ts';
import { defaultSuitesDir } from '../default-suites-dir.ts';
import { collect, integer } from '../option-parsers.ts';

interface BisectCliOptions {
  good: string;
  bad: string;
  case: string;
  suites?: string[];
  runs: number;
  badThreshold: number;
  fix?: boolean;
  output?: string;
  keyword: string[];
  git?: string;
  build?: string;
  kernelFile?: string;
  crashTitle: string[];
  workers: number;
  accel: AcceleratorRequest;
}

const print = (line: string) => process.stdout.write(`${line}\n`);

/**
 * `memharness bisect`: the first Debian build between --good and --bad where a case fails
 * (with --fix: passes again), or with --git DIR the first commit, through `git bisect run`
 * and `memharness bisect-step`. Exit 0 with an answer, 2 when there is none (ends that do
 * not behave as claimed, bad arguments, infrastructure), 130 interrupted (a Debian bisect
 * continues when the same command runs again).
 */
export function registerBisectCommand(program: Command): void {
  program
    .command('bisect')
    .description('find the first Debian build (or, with --git, the first commit) where a case starts failing; --fix: where it stops failing')
    .requiredOption('--good <ref>', 'the older end, where the case passes (with --fix: still fails): a Debian build (6.1.0-47, 6.12.107, latest-6.1), or with --git a revision')
    .requiredOption('--bad <ref>', 'the newer end, where the case fails (with --fix: passes)')
    .requiredOption('--case <suite:case>', 'the case to run at each step, e.g. hwpoison-basic:anon-madvise-sigbus')
    .option('--suites <paths...>', 'suite files or directories to find the case in (default: suites/)')
    .option('--runs <n>', 'runs of the case per step', integer('--runs', 1, 100), 3)
    .option('--bad-threshold <k>', 'failing runs (of --runs) that make a step bad-like', integer('--bad-threshold', 1, 100), 1)
    .option('--fix', 'look for the first build or commit where the case passes again (the good end fails, the bad end passes)')
    .option('-o, --output <dir>', 'the bisect directory: bisect.json (state, resumable), bisect.md (report), steps/ (default: results/bisect/<case>-<good>..<bad>/)')
    .option('--keyword <word>', `changelog keyword to show among the first bad build's changes (repeatable; replaces the default list: ${DEFAULT_KEYWORDS.join(', ')})`, collect, [])
    .option('--git <dir>', 'bisect commits of this git repository instead of Debian builds (with --build)')
    .option('--build <cmd>', 'with --git: shell command that builds the checked-out commit, run in the repository')
    .option('--kernel-file <file>', 'with --git: file (relative to the repository) the build writes the kernel reference into (a Debian build or a bzImage path); default: the repository is a kernel build tree')
    .option('--crash-title <title>', 'with --git: a crash counts as the bug only with this title (repeatable); default: any crash does', collect, [])
    .option('-j, --workers <n>', 'guests per step', integer('--workers', 1, 64), 1)
    .addOption(new Option('--accel <accel>', 'accelerator').choices(['auto', 'kvm', 'tcg']).default('auto'))
    .action(async (options: BisectCliOptions) => {
      if (options.badThreshold > options.runs) throw new HarnessError('usage', `--bad-threshold ${options.badThreshold} is more than --runs ${options.runs}: no step could ever be bad-like`);
      if (options.git === undefined) {
        for (const [flag, given] of [['--build', options.build], ['--kernel-file', options.kernelFile]] as const) {
          if (given !== undefined) throw new HarnessError('usage', `${flag} goes with --git: a Debian bisect runs the archive's builds`);
        }
        if (options.crashTitle.length > 0) throw new HarnessError('usage', '--crash-title goes with --git: a Debian bisect takes the titles from the end that fails');
        await debianBisect(options);
      } else {
        if (options.keyword.length > 0) throw new HarnessError('usage', '--keyword goes with a Debian bisect: a git bisect has no Debian changelog to filter');
        await gitBisect(options, options.git);
      }
    });
}

async function debianBisect(options: BisectCliOptions): Promise<void> {
  const ref = parseCaseRef(options.case);
  const found = await findCase(options.suites ?? [defaultSuitesDir()], ref);
  const args: BisectArgs = { good: options.good, bad: options.bad, case: ref.key, suiteFile: found.file, runs: options.runs, badThreshold: options.badThreshold, fix: Boolean(options.fix) };
  const dir = path.resolve(options.output ?? defaultDebianBisectDir(args));
  const progress = createProgress();
  const suiteSha256 = createHash('sha256').update(await fs.readFile(found.file)).digest('hex');

  // Outside a step's runner (while a kernel downloads), Ctrl-C exits at once; the state on disk is whole.
  const onExit = (code: number) => {
    if (code === 130) process.stderr.write(`memharness: interrupted; the bisect state is in ${path.join(dir, 'bisect.json')}: run the same command to continue\n`);
  };
  process.on('exit', onExit);
  let outcome;
  try {
    outcome = await runDebianBisect({
      args,
      suiteSha256,
      dir,
      candidates: () => findInArchive((builds) => debianCandidates(options.good, options.bad, builds), aptArchive(progress)),
      runRound: (build, _round, roundDir) =>
        runCaseRound({ kernelRef: build.abi, caseKey: ref.key, suiteFile: found.file, runs: options.runs, dir: roundDir, workers: options.workers, accel: options.accel, progress }),
      log: print,
    });
  } finally {
    process.removeListener('exit', onExit);
  }
  const state = outcome.state;
  if (outcome.kind === 'interrupted') {
    throw new HarnessError('interrupted', `interrupted; the bisect state is in ${path.join(dir, 'bisect.json')}: run the same command to continue`);
  }
  const keywords = options.keyword.length > 0 ? options.keyword : [...DEFAULT_KEYWORDS];
  const changes = outcome.kind === 'done' ? await summariseChanges(state, keywords, { cacheDir: cacheDir(), progress }) : null;
  if (changes) state.changes = changes;
  await writeBisectState(dir, state);
  await writeFileAtomic(path.join(dir, 'bisect.md'), renderDebianReport(state, changes));
  print('');
  if (outcome.kind === 'endpoints') {
    print(`report: ${path.join(dir, 'bisect.md')}`);
    throw new HarnessError('usage', state.endpointProblem ?? 'the ends of the range do not behave as claimed');
  }
  for (const line of resultLines(state)) print(line);
  for (const line of changesLines(changes, 30)) print(line);
  print(`report: ${path.join(dir, 'bisect.md')}`);
}

async function gitBisect(options: BisectCliOptions, repo: string): Promise<void> {
  const ref = parseCaseRef(options.case);
  const found = await findCase(options.suites ?? [defaultSuitesDir()], ref);
  const dir = path.resolve(options.output ?? defaultGitBisectDir(ref.key));
  const stepsDir = path.join(dir, 'steps');
  if (await fs.access(path.join(stepsDir, STEP_LOG_FILE)).then(() => true, () => false)) {
    throw new HarnessError('usage', `${dir} already holds a git bisect's steps`, { hint: 'give another --output (a git bisect cannot be continued: git bisect reset ends each one)' });
  }
  await fs.mkdir(stepsDir, { recursive: true });
  const repoDir = path.resolve(repo);
  const step = [
    process.execPath,
    path.join(projectRoot, 'harness', 'bin', 'memharness.js'),
    'bisect-step',
    '--dir', repoDir,
    '--case', ref.key,
    '--suites', found.file,
    '--runs', String(options.runs),
    '--bad-threshold', String(options.badThreshold),
    '--output', stepsDir,
    '--workers', String(options.workers),
    '--accel', options.accel,
    ...(options.fix ? ['--fix'] : []),
    ...(options.build !== undefined ? ['--build', options.build] : []),
    ...(options.kernelFile !== undefined ? ['--kernel-file', options.kernelFile] : []),
    ...options.crashTitle.flatMap((title) => ['--crash-title', title]),
  ];
  const result = await runGitBisect({ repo: repoDir, good: options.good, bad: options.bad, fix: Boolean(options.fix), step, onOutput: print });
  const steps = await readStepRecords(stepsDir);
  const summary = {
    repo: repoDir,
    good: options.good,
    bad: options.bad,
    case: ref.key,
    build: options.build ?? null,
    kernelFile: options.kernelFile ?? null,
    runs: options.runs,
    badThreshold: options.badThreshold,
    fix: Boolean(options.fix),
    crashTitles: options.crashTitle.map(normaliseTitle),
  };
  await writeFileAtomic(path.join(dir, 'bisect.json'), `${JSON.stringify({ schemaVersion: 1, mode: 'git', ...summary, suiteFile: found.file, goodCommit: result.goodCommit, badCommit: result.badCommit, answer: result.answer, steps, log: result.log }, null, 2)}\n`);
  await writeFileAtomic(path.join(dir, 'bisect.md'), renderGitReport(summary, result, steps));
  print('');
  for (const line of gitResultLines(result, summary.fix)) print(line);
  print(`report: ${path.join(dir, 'bisect.md')}`);
  if (result.answer.kind === 'failed') throw new HarnessError('usage', `git bisect gave no answer: ${result.answer.message}`);
}
