/**
 * npm run bench:suite -- [--kernel K] [--grep REGEX] [suites...]
 *
 * The default suites (or the ones named) on one kernel, three ways in one run: a snapshot
 * restore per case on one worker, a fresh boot per case on one worker, and restores on two
 * workers. Prints the per-case isolation cost of each way (median restore vs median boot,
 * and their ratio: target ≤ 0.05), what a case costs a worker all in, each guest's private memory,
 * and the throughput of one vs two workers.
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { defaultSuitesDir } from '../cli/default-suites-dir.ts';
import type { RunResult } from '../results/run-result.ts';
import { runSuites } from '../runner/run-suites.ts';
import type { GroupTimings } from '../runner/dispatcher.ts';
import { createProgress } from '../util/progress.ts';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    kernel: { type: 'string', default: 'latest-6.12' },
    grep: { type: 'string' },
    keep: { type: 'boolean', default: false },
  },
});

interface Variant {
  name: string;
  workers: number;
  noSnapshot: boolean;
}

const VARIANTS: Variant[] = [
  { name: 'restore per case, 1 worker', workers: 1, noSnapshot: false },
  { name: 'boot per case, 1 worker', workers: 1, noSnapshot: true },
  { name: 'restore per case, 2 workers', workers: 2, noSnapshot: false },
];

interface Measured {
  variant: Variant;
  wallMs: number;
  run: RunResult;
  timings: GroupTimings[];
}

function median(values: number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
const progress = createProgress();
const discard = { write: () => true, isTTY: false };
const paths = positionals.length > 0 ? positionals : [defaultSuitesDir()];
const outputRoot = await fs.mkdtemp(path.join(os.tmpdir(), 'memharness-suite-bench-'));
const measured: Measured[] = [];

for (const variant of VARIANTS) {
  progress.info(`bench: ${variant.name} ...`);
  const started = Date.now();
  const outcome = await runSuites({
    paths,
    kernels: [values.kernel],
    output: path.join(outputRoot, variant.name.replace(/[^a-z0-9]+/gi, '-')),
    reporters: ['json'],
    retries: 0,
    repeatEach: 1,
    workers: variant.workers,
    filter: { grep: values.grep ? new RegExp(values.grep) : undefined },
    accel: 'auto',
    noSnapshot: variant.noSnapshot,
    stdout: discard,
    progress: createProgress({ quiet: true }),
  });
  if (!outcome.run) throw new Error(`the ${variant.name} run produced no results (exit ${outcome.exitCode})`);
  const entry = { variant, wallMs: Date.now() - started, run: outcome.run, timings: outcome.timings };
  measured.push(entry);
  progress.info(`bench: ${variant.name}: ${seconds(entry.wallMs)}, ${verdictCounts(entry.run)}`);
}
if (!values.keep) await fs.rm(outputRoot, { recursive: true, force: true });

function verdictCounts(run: RunResult): string {
  const counts = new Map<string, number>();
  for (const result of run.cases) counts.set(result.verdict, (counts.get(result.verdict) ?? 0) + 1);
  return [...counts].map(([verdict, n]) => `${n} ${verdict}`).join(', ');
}

const executed = (m: Measured) => m.run.cases.filter((result) => result.verdict !== 'skipped').length;
const restores = (m: Measured) => m.timings.flatMap((t) => t.restores);
const boots = (m: Measured) => m.timings.flatMap((t) => t.boots);
const [restore1, boot1, restore2] = measured as [Measured, Measured, Measured];
const restoreCost = median(restores(restore1));
const bootCost = median(boots(boot1));
const first = restore1.run.kernels[0];
const privateMiB = (m: Measured) => Math.round(median(m.timings.flatMap((t) => t.privateKiB)) / 1024);
const kinds = (m: Measured) => [...new Set(m.timings.map((t) => t.snapshotKind ?? 'none'))].join(', ');
// A simple case: one target, one inject, expectations (the default suites' hwpoison matrix cases are the most of them).
const simple = (m: Measured) => m.run.cases.filter((c) => c.verdict === 'passed' && (c.steps ?? []).length > 0 && (c.steps ?? []).every((step) => ['target', 'inject', 'wait'].includes(step.kind)));
const simpleRunMs = (m: Measured) => median(simple(m).map((c) => c.durationMs));

const lines = [
  '',
  `Suites ${paths.join(' ')} on ${first ? first.release : values.kernel}${values.grep ? ` (--grep ${values.grep})` : ''}, accel ${restore1.run.accelerator.accel}, host ${os.availableParallelism()} CPU(s):`,
  '',
  '| way | cases run | wall | per case per worker, all in | guests: boots / restores | snapshots | private memory per guest (median) | verdicts |',
  '| --- | --- | --- | --- | --- | --- | --- | --- |',
  ...measured.map((m) => `| ${m.variant.name} | ${executed(m)} | ${seconds(m.wallMs)} | ${seconds((m.wallMs * m.variant.workers) / Math.max(1, executed(m)))} | ${boots(m).length} / ${restores(m).length} | ${kinds(m)} | ${privateMiB(m)} MiB | ${verdictCounts(m.run)} |`),
  '',
  `Per-case isolation cost (1 worker): restore median ${Math.round(restoreCost)} ms vs boot median ${Math.round(bootCost)} ms: ratio ${(restoreCost / bootCost).toFixed(3)} (target ≤ 0.05)`,
  `A simple case (target, inject, wait, expectations; ${simple(restore1).length} of them), 1 worker: restore ${Math.round(restoreCost)} ms + run ${Math.round(simpleRunMs(restore1))} ms (median) = ${seconds(restoreCost + simpleRunMs(restore1))} all in (target ≤ 0.7 s)`,
  `Snapshot saves: ${restore1.timings.map((t) => (t.saveMs === null ? 'none' : `${t.saveMs} ms`)).join(', ')}; fallbacks: ${restore1.timings.flatMap((t) => t.fallbacks).join(' | ') || 'none'}`,
  `Throughput: 1 worker ${(executed(restore1) / (restore1.wallMs / 60_000)).toFixed(1)} cases/min, 2 workers ${(executed(restore2) / (restore2.wallMs / 60_000)).toFixed(1)} cases/min: speed-up ${(restore1.wallMs / restore2.wallMs).toFixed(2)}x (restore median with 2 workers: ${Math.round(median(restores(restore2)))} ms)`,
  `Boot per case vs restore per case (1 worker): ${(boot1.wallMs / restore1.wallMs).toFixed(2)}x the wall time`,
];
process.stdout.write(`${lines.join('\n')}\n`);
