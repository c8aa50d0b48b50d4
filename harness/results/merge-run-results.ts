import { HarnessError } from '../util/errors.ts';
import { caseIdentity, describeCaseIdentity } from './case-identity.ts';
import type { KernelInfo, RunError, RunResult, SuiteFileInfo } from './run-result.ts';

export interface MergeOptions {
  /** Id of the merged run; defaults to the earliest shard's. */
  runId?: string;
}

function distinct(values: readonly string[]): string[] {
  return [...new Set(values)];
}

function joined(values: readonly string[]): string {
  return distinct(values).join(', ');
}

function mergeError(message: string): HarnessError {
  return new HarnessError('usage', `cannot merge runs: ${message}`);
}

function unionKernels(runs: readonly RunResult[]): KernelInfo[] {
  const byId = new Map<string, KernelInfo>();
  for (const run of runs) for (const kernel of run.kernels) if (!byId.has(kernel.id)) byId.set(kernel.id, kernel);
  return [...byId.values()];
}

function unionSuites(runs: readonly RunResult[]): SuiteFileInfo[] {
  const byPath = new Map<string, SuiteFileInfo & { runId: string }>();
  for (const run of runs) {
    for (const suite of run.suites) {
      const seen = byPath.get(suite.path);
      if (!seen) byPath.set(suite.path, { ...suite, runId: run.runId });
      // Shards that ran different versions of a suite do not add up to one run of it.
      else if (seen.sha256 !== suite.sha256) {
        throw mergeError(`suite ${suite.path} differs between run ${seen.runId} (sha256 ${seen.sha256}) and run ${run.runId} (sha256 ${suite.sha256})`);
      }
    }
  }
  return [...byPath.values()].map(({ path, sha256 }) => ({ path, sha256 }));
}

/**
 * The shards' run errors, each once: every shard loads the same suites, so a suite problem is
 * in each of them.
 */
function unionErrors(runs: readonly RunResult[]): RunError[] {
  const seen = new Set<string>();
  const errors: RunError[] = [];
  for (const error of runs.flatMap((run) => run.errors ?? [])) {
    const identity = JSON.stringify([error.location ?? null, error.message]);
    if (seen.has(identity)) continue;
    seen.add(identity);
    errors.push(error);
  }
  return errors;
}

/** All shards of one total present, once each: then the merged run is the whole of it. */
function shardsCoverAll(runs: readonly RunResult[]): boolean {
  const total = runs[0]?.shard?.total;
  if (total === undefined || runs.some((run) => run.shard?.total !== total)) return false;
  const indexes = new Set(runs.map((run) => run.shard?.index));
  return indexes.size === total && runs.length === total;
}

function mergeAccelerator(runs: readonly RunResult[]): RunResult['accelerator'] {
  const accels = distinct(runs.map((run) => run.accelerator.accel));
  if (accels.length === 1) return { accel: runs[0]!.accelerator.accel, reason: joined(runs.map((run) => run.accelerator.reason)) };
  // Timing-sensitive readers must not take a mixed run for a KVM one.
  return { accel: 'tcg', reason: `mixed: ${runs.map((run) => `${run.runId} ${run.accelerator.accel} (${run.accelerator.reason})`).join('; ')}` };
}

/**
 * One RunResult from the results of several shards (or several partial runs): the union of
 * their cases, kernels and suites, their metadata combined. The same execution (kernel, case
 * key, repeat) found twice is an error, never silently kept once.
 */
export function mergeRunResults(runs: readonly RunResult[], options: MergeOptions = {}): RunResult {
  if (runs.length === 0) throw mergeError('no runs given');
  const ordered = [...runs].sort((a, b) => (a.shard?.index ?? 0) - (b.shard?.index ?? 0) || a.startedAt.localeCompare(b.startedAt));
  const runIds = new Set<string>();
  for (const run of ordered) {
    if (runIds.has(run.runId)) throw mergeError(`run ${run.runId} given twice`);
    runIds.add(run.runId);
  }

  const seen = new Map<string, string>();
  const cases = [];
  for (const run of ordered) {
    for (const result of run.cases) {
      const identity = caseIdentity(result);
      const first = seen.get(identity);
      if (first !== undefined) throw mergeError(`${describeCaseIdentity(result)} is in run ${first} and in run ${run.runId}`);
      seen.set(identity, run.runId);
      cases.push(result);
    }
  }

  const earliest = [...ordered].sort((a, b) => a.startedAt.localeCompare(b.startedAt))[0]!;
  const ends = ordered.map((run) => run.endedAt);
  const allEnded = ends.every((end): end is string => end !== null);
  // Shards add up to the whole only when all of them are there; runs without shard metadata
  // (say, one per kernel) are each whole already.
  const sharded = ordered.length > 1 && ordered.some((run) => run.shard !== undefined);
  const covered = !sharded || shardsCoverAll(ordered);
  const merged: RunResult = {
    schemaVersion: 1,
    runId: options.runId ?? earliest.runId,
    harnessVersion: joined(ordered.map((run) => run.harnessVersion)),
    startedAt: earliest.startedAt,
    endedAt: allEnded ? [...ends].sort().at(-1)! : null,
    complete: ordered.every((run) => run.complete) && covered,
    interrupted: ordered.some((run) => run.interrupted),
    host: {
      hostname: joined(ordered.map((run) => run.host.hostname)),
      // The smallest machine: what the slowest shard had to work with.
      cpus: Math.min(...ordered.map((run) => run.host.cpus)),
      memoryMiB: Math.min(...ordered.map((run) => run.host.memoryMiB)),
      kernel: joined(ordered.map((run) => run.host.kernel)),
    },
    qemu: joined(ordered.map((run) => run.qemu)),
    accelerator: mergeAccelerator(ordered),
    kernels: unionKernels(ordered),
    suites: unionSuites(ordered),
    ...(ordered.some((run) => run.errors !== undefined) ? { errors: unionErrors(ordered) } : {}),
    cases,
  };
  if (ordered.length === 1 && ordered[0]!.shard) merged.shard = ordered[0]!.shard;
  return merged;
}
