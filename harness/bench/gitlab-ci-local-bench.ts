/**
 * npm run bench:gitlab-ci-local -- [--shards N] [--kernels LIST] [--suites PATHS] [--grep RE]
 *                                   [--workers N] [--nights N] [--keep] [--dry-run | --jobs-dry-run]
 *                                   [--pipeline FILE]
 *
 * The GitLab example (docs/ci/gitlab-ci.yml) for real, on this machine: gitlab-ci-local runs
 * its jobs in shells on the host (--force-shell-executor, since the jobs name an image;
 * --shell-executor-no-image for any that do not), each in its own copy of the repository
 * (--shell-isolation), the shards at once, and hands each job's artifacts to the jobs that
 * need it: the shards' to the merge job, the merge's to the compare job. Over a small suite
 * (the variables of the example, overridden with --variable), two nights in a row: night 1
 * has no baseline, night 2 is compared with night 1's merged results (MEMHARNESS_BASELINE),
 * as a nightly is compared with the last good night. Prints the wall time of every job (the
 * setup before its memharness line, mostly npm ci, and the rest), of each pipeline and in
 * all, and what the merged run and the compare said.
 *
 * It runs the committed tree (a clone of HEAD), boots real guests (as root it installs the
 * host packages itself), and reuses this host's kernel cache ($MEMHARNESS_CACHE_DIR or
 * ~/.cache/memharness), shared by the shards. --dry-run prepares everything, prints the jobs
 * (gitlab-ci-local --list) and the command it would run, and boots nothing; --jobs-dry-run
 * runs the whole pipeline with MEMHARNESS_DRY_RUN=1, so every job runs (npm ci included) and
 * every memharness line only validates itself: the machinery without a guest.
 */
import { spawnSync } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { execa } from 'execa';
import YAML from 'yaml';
import { cacheDir, projectRoot } from '../util/paths.ts';

// The newest gitlab-ci-local that runs on Node 20 (4.74 and later need Node 22's Set methods).
const GITLAB_CI_LOCAL = 'gitlab-ci-local@4.73.0';
const EXAMPLE = 'docs/ci/gitlab-ci.yml';
const SHARD_JOB = 'memharness-shard';
const PIPELINE_FILE = '.memharness-bench-gitlab-ci.yml';

const { values } = parseArgs({
  options: {
    shards: { type: 'string', default: '2' },
    kernels: { type: 'string', default: 'latest-6.12' },
    // Two guest groups (hwpoison's isolated-CPU guest, soft-offline's default one): --shard deals
    // out whole groups, so one group would leave the second shard nothing to do.
    suites: { type: 'string', default: 'suites/hwpoison.yaml suites/soft-offline.yaml' },
    grep: { type: 'string', default: '^(hwpoison/(poison|unpoison)-(free|anon)-debugfs|soft-offline/(madvise|sysfs)-soft-offline-(anon|free))$' },
    // One guest per shard: two shards at once fill a 2-CPU host.
    workers: { type: 'string', default: '1' },
    nights: { type: 'string', default: '2' },
    keep: { type: 'boolean', default: false },
    'dry-run': { type: 'boolean', default: false },
    'jobs-dry-run': { type: 'boolean', default: false },
    // Another pipeline file to run the same way (default: the example, from the clone).
    pipeline: { type: 'string' },
  },
});

const shards = Number(values.shards);
const nights = Number(values.nights);
if (!Number.isInteger(shards) || shards < 1 || !Number.isInteger(nights) || nights < 1) {
  process.stderr.write('bench: --shards and --nights take a positive integer\n');
  process.exit(2);
}

function has(tool: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${tool}`], { stdio: 'ignore' }).status === 0;
}

/** gitlab-ci-local copies build directories and artifacts with rsync. */
async function ensureTools(): Promise<void> {
  const missing = ['git', 'rsync', 'bash'].filter((tool) => !has(tool));
  if (missing.length === 0) return;
  if (process.getuid?.() !== 0) throw new Error(`bench: missing ${missing.join(', ')}: run apt-get install ${missing.join(' ')} as root`);
  process.stderr.write(`bench: installing ${missing.join(', ')} (apt-get)\n`);
  await execa('apt-get', ['install', '-y', '--no-install-recommends', ...missing], { stdio: 'inherit', env: { DEBIAN_FRONTEND: 'noninteractive' } });
}

const ANSI = /\x1b\[[0-9;]*m/g;
const UNIT_MS: Record<string, number> = { ns: 1e-6, μs: 1e-3, ms: 1, s: 1000, min: 60_000, h: 3_600_000 };

function durationMs(text: string): number {
  const match = /^([\d.]+)\s*(ns|μs|ms|s|min|h)$/.exec(text.trim());
  return match ? Number(match[1]) * UNIT_MS[match[2]!]! : Number.NaN;
}

const seconds = (ms: number) => (Number.isFinite(ms) ? `${(ms / 1000).toFixed(1)} s` : '-');

interface JobTiming {
  job: string;
  status: string;
  /** gitlab-ci-local's own figure for the job. */
  wallMs: number;
  /** From the job's start to the first line after `npm ci` (else to its first memharness line). */
  setupMs: number;
}

/**
 * Reads gitlab-ci-local's --timestamps output: `[hh:mm:ss  <since job start>] <job> $ <command>`
 * lines, and the summary (`PASS  [ 2.1 min] memharness-shard: [1/2]`) at the end.
 */
function parseTimings(output: string): { jobs: JobTiming[]; pipelineMs: number } {
  const afterNpmCi = new Map<string, number>();
  const firstMemharness = new Map<string, number>();
  const sawNpmCi = new Set<string>();
  const jobs: JobTiming[] = [];
  let pipelineMs = Number.NaN;
  for (const raw of output.split('\n')) {
    const line = raw.replace(ANSI, '');
    // A multi-line script item shows as its first line only ("# collapsed multi-line command").
    const step = /^\[\d\d:\d\d:\d\d\s+([\d.]+\s*\S+)\]\s+(.+?)\s+\$ (.*)$/.exec(line);
    if (step) {
      const [, elapsed, job, command] = step as unknown as [string, string, string, string];
      if (sawNpmCi.has(job) && !afterNpmCi.has(job)) afterNpmCi.set(job, durationMs(elapsed));
      if (/^npm ci\b/.test(command)) sawNpmCi.add(job);
      if (/\bmemharness\b/.test(command) && !firstMemharness.has(job)) firstMemharness.set(job, durationMs(elapsed));
    }
    const summary = /^\s*(PASS|FAIL|WARN)\s+\[\s*([\d.]+\s*\S+?)\s*\]\s+(.+?)\s*$/.exec(line);
    if (summary) jobs.push({ status: summary[1]!, wallMs: durationMs(summary[2]!), job: summary[3]!, setupMs: Number.NaN });
    const total = /pipeline finished in (.+)$/.exec(line);
    if (total) pipelineMs = durationMs(total[1]!);
  }
  for (const job of jobs) job.setupMs = afterNpmCi.get(job.job) ?? firstMemharness.get(job.job) ?? Number.NaN;
  return { jobs, pipelineMs };
}

interface RunSummary {
  cases: number;
  verdicts: Record<string, number>;
  accelerator?: string;
  complete?: boolean;
}

async function readRun(file: string): Promise<RunSummary> {
  const run = JSON.parse(await fs.readFile(file, 'utf8')) as { cases: Array<{ verdict: string }>; accelerator?: { accel: string }; complete?: boolean };
  const verdicts: Record<string, number> = {};
  for (const entry of run.cases) verdicts[entry.verdict] = (verdicts[entry.verdict] ?? 0) + 1;
  return { cases: run.cases.length, verdicts, accelerator: run.accelerator?.accel, complete: run.complete };
}

/** `<state>/artifacts/<job>/<dir>/results.json` for every job that exported `dir...`. */
async function artifactRuns(stateDir: string, prefix: string): Promise<string[]> {
  const root = path.join(stateDir, 'artifacts');
  const found: string[] = [];
  for (const job of await fs.readdir(root).catch(() => [])) {
    for (const dir of await fs.readdir(path.join(root, job)).catch(() => [])) {
      const file = path.join(root, job, dir, 'results.json');
      if (dir.startsWith(prefix) && (await fs.stat(file).catch(() => null))) found.push(file);
    }
  }
  return found.sort();
}

const describeVerdicts = (run: RunSummary) =>
  `${run.cases} case(s): ${Object.entries(run.verdicts).map(([verdict, count]) => `${count} ${verdict}`).join(', ')}${run.accelerator ? ` (${run.accelerator})` : ''}${run.complete === false ? ', incomplete' : ''}`;

// ---------------------------------------------------------------------------------------------

await ensureTools();
const commit = (await execa('git', ['rev-parse', '--short', 'HEAD'], { cwd: projectRoot })).stdout.trim();
const dirty = (await execa('git', ['status', '--porcelain', '--', EXAMPLE, 'harness', 'suites', 'package.json'], { cwd: projectRoot })).stdout.trim();
if (dirty) process.stderr.write(`bench: note: uncommitted changes (${dirty.split('\n').length} files under harness/, suites/, ${EXAMPLE}, package.json) are not benchmarked: it runs a clone of HEAD ${commit}\n`);

const work = await fs.mkdtemp(path.join(os.tmpdir(), 'memharness-gcl-bench-'));
const repo = path.join(work, 'repo');
await execa('git', ['clone', '--quiet', projectRoot, repo]);
// gitlab-ci-local reads the project's name from the origin remote; a local path is none.
await execa('git', ['remote', 'remove', 'origin'], { cwd: repo });
await execa('git', ['config', 'user.name', 'memharness bench'], { cwd: repo });
await execa('git', ['config', 'user.email', 'bench@memharness.invalid'], { cwd: repo });

// The example as written, but for the number of shards (GitLab's `parallel` takes no variable).
const source = values.pipeline ? path.resolve(values.pipeline) : path.join(repo, EXAMPLE);
const pipeline = YAML.parseDocument(await fs.readFile(source, 'utf8'));
const written = pipeline.getIn([SHARD_JOB, 'parallel']);
if (typeof written !== 'number') throw new Error(`bench: ${source} has no ${SHARD_JOB}.parallel`);
pipeline.setIn([SHARD_JOB, 'parallel'], shards);
await fs.writeFile(path.join(repo, PIPELINE_FILE), pipeline.toString());

const kernelCache = cacheDir();
const variables = (baseline: string): Record<string, string> => ({
  KERNELS: values.kernels,
  SUITES: values.suites,
  GREP: values.grep,
  WORKERS: values.workers,
  MEMHARNESS_CACHE_DIR: kernelCache,
  MEMHARNESS_BASELINE: baseline,
  // --jobs-dry-run: every job runs (npm ci and all), every memharness line only validates itself.
  ...(values['jobs-dry-run'] ? { MEMHARNESS_DRY_RUN: '1' } : {}),
});

function gitlabCiLocal(stateDir: string, vars: Record<string, string>, extra: string[] = []): string[] {
  return [
    '--yes',
    GITLAB_CI_LOCAL,
    '--file',
    PIPELINE_FILE,
    '--state-dir',
    stateDir,
    '--force-shell-executor',
    '--shell-executor-no-image',
    '--shell-isolation',
    '--no-artifacts-to-source',
    '--timestamps',
    ...Object.entries(vars).flatMap(([key, value]) => ['--variable', `${key}=${value}`]),
    ...extra,
  ];
}

const quote = (arg: string) => (/^[\w@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`);

process.stdout.write(
  `bench: ${values.pipeline ?? EXAMPLE} at ${commit} under ${GITLAB_CI_LOCAL}: ${shards} shard(s) (the file says ${written}), kernels ${values.kernels}, ` +
    `suites ${values.suites}, grep ${values.grep}, ${values.workers} worker(s) a shard, ${nights} night(s); kernel cache ${kernelCache}; work dir ${work}\n`,
);

if (values['dry-run']) {
  const vars = variables('none');
  const list = await execa('npx', gitlabCiLocal('.gitlab-ci-local-list', vars, ['--list']), { cwd: repo, reject: false, all: true });
  process.stdout.write(`${String(list.all)}\n`);
  const chain = await execa('npx', gitlabCiLocal('.gitlab-ci-local-list', vars, ['--validate-dependency-chain']), { cwd: repo, reject: false, all: true });
  process.stdout.write(`${String(chain.all).split('\n').slice(-3).join('\n')}\n`);
  process.stdout.write(`\nwould run, in ${repo}, for night 1 (night 2 with MEMHARNESS_BASELINE=<night 1's merged run>):\n  npx ${gitlabCiLocal('.gitlab-ci-local-night-1', vars).map(quote).join(' ')}\n`);
  if (!values.keep) await fs.rm(work, { recursive: true, force: true });
  process.exit(list.exitCode === 0 && chain.exitCode === 0 ? 0 : 1);
}

interface Night {
  night: number;
  exitCode: number;
  wallMs: number;
  pipelineMs: number;
  jobs: JobTiming[];
  shardRuns: RunSummary[];
  merged: RunSummary | null;
  compare: string;
}

const results: Night[] = [];
let baseline = 'none';
const started = Date.now();
for (let night = 1; night <= nights; night++) {
  const stateDir = `.gitlab-ci-local-night-${night}`;
  const args = gitlabCiLocal(stateDir, variables(baseline));
  process.stdout.write(`\n=== night ${night}: npx ${args.map(quote).join(' ')}\n`);
  const log = createWriteStream(path.join(work, `night-${night}.log`));
  const nightStarted = Date.now();
  const child = execa('npx', args, { cwd: repo, reject: false, all: true, buffer: true });
  child.all?.on('data', (chunk: Buffer) => {
    process.stdout.write(chunk);
    log.write(chunk);
  });
  const outcome = await child;
  log.end();
  const wallMs = Date.now() - nightStarted;
  const output = String(outcome.all ?? '');
  const { jobs, pipelineMs } = parseTimings(output);
  const state = path.join(repo, stateDir);
  const shardRuns = await Promise.all((await artifactRuns(state, 'shard-')).map(readRun));
  const mergedFile = (await artifactRuns(state, 'merged'))[0];
  const merged = mergedFile ? await readRun(mergedFile) : null;
  const compareLine = output
    .split('\n')
    .map((line) => line.replace(ANSI, ''))
    .map((line) => /> (memharness compare: .*|no baseline, nothing to compare with)$/.exec(line)?.[1])
    .find((line) => line !== undefined);
  results.push({ night, exitCode: outcome.exitCode ?? -1, wallMs, pipelineMs, jobs, shardRuns, merged, compare: compareLine ?? 'not run' });
  if (mergedFile) {
    // The next night's baseline, out of this night's state directory.
    baseline = path.join(work, `night-${night}-merged`);
    await fs.cp(path.dirname(mergedFile), baseline, { recursive: true });
  }
  if (outcome.exitCode !== 0) break;
}
const totalMs = Date.now() - started;

process.stdout.write(`\n=== gitlab-ci-local bench: ${values.pipeline ?? EXAMPLE} at ${commit}, ${shards} shards in parallel, kernels ${values.kernels}, grep ${values.grep}\n`);
for (const night of results) {
  process.stdout.write(`\nnight ${night.night} (${night.night === 1 ? 'no baseline' : `baseline: night ${night.night - 1}'s merged run`}): exit ${night.exitCode}\n`);
  const width = Math.max(4, ...night.jobs.map((job) => job.job.length));
  process.stdout.write(`  ${'job'.padEnd(width)}  status  setup     the rest    wall     (setup: npm ci, until the job's next line)\n`);
  for (const job of night.jobs) {
    const rest = Number.isFinite(job.setupMs) ? job.wallMs - job.setupMs : Number.NaN;
    process.stdout.write(`  ${job.job.padEnd(width)}  ${job.status.padEnd(6)}  ${seconds(job.setupMs).padEnd(8)}  ${seconds(rest).padEnd(10)}  ${seconds(job.wallMs)}\n`);
  }
  const shardJobs = night.jobs.filter((job) => job.job.startsWith(SHARD_JOB));
  const shardSum = shardJobs.reduce((sum, job) => sum + job.wallMs, 0);
  process.stdout.write(`  pipeline ${seconds(night.wallMs)} (gitlab-ci-local: ${seconds(night.pipelineMs)}); the ${shardJobs.length} shard jobs: ${seconds(shardSum)} of work in ${seconds(Math.max(0, ...shardJobs.map((job) => job.wallMs)))}\n`);
  night.shardRuns.forEach((run, index) => process.stdout.write(`  shard ${index + 1}: ${describeVerdicts(run)}\n`));
  process.stdout.write(`  merged: ${night.merged ? describeVerdicts(night.merged) : 'none'}\n  compare: ${night.compare}\n`);
}
process.stdout.write(`\ntotal ${seconds(totalMs)} for ${results.length} night(s); logs in ${work}\n`);
if (!values.keep) {
  // The logs and merged runs stay; the clone and its build directories (node_modules in each) go.
  await fs.rm(repo, { recursive: true, force: true });
}
process.exitCode = results.length === nights && results.every((night) => night.exitCode === 0) ? 0 : 1;
