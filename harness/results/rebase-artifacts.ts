import path from 'node:path';
import type { CaseArtifacts, RunResult } from './run-result.ts';

/**
 * A run's artifact paths (relative to its own directory) made relative to another directory,
 * so that results merged into a new directory still point at the shards' console logs
 * without copying them (shards number their case directories alike, so copies would clash).
 * Absolute paths are kept as they are.
 */
export function rebaseArtifacts(run: RunResult, fromDir: string, toDir: string): RunResult {
  const from = path.resolve(fromDir);
  const to = path.resolve(toDir);
  if (from === to) return run;
  const rebase = (artifact: string) => (path.isAbsolute(artifact) ? artifact : path.relative(to, path.join(from, artifact)).split(path.sep).join('/'));
  return {
    ...run,
    cases: run.cases.map((result) => {
      const artifacts: CaseArtifacts = {};
      for (const [name, artifact] of Object.entries(result.artifacts)) if (artifact !== undefined) artifacts[name] = rebase(artifact);
      return { ...result, artifacts };
    }),
  };
}
