import path from 'node:path';
import { HarnessError } from '../util/errors.ts';
import { FileReporter } from './file-reporter.ts';
import { buildKcidb, KCIDB_ORIGIN_PATTERN } from './kcidb-format.ts';

export const KCIDB_FILE = 'kcidb.json';

export interface KcidbReporterOptions {
  outputDir: string;
  /** Default: $MEMHARNESS_KCIDB_ORIGIN, else `memharness`. */
  origin?: string;
  /** Default: $MEMHARNESS_KCIDB_ARTIFACTS_URL; without one, artifacts are file:// URLs. */
  artifactsUrl?: string;
}

/**
 * kcidb.json: the run in KernelCI's kcidb I/O format, ready for `kcidb-submit`. The origin and
 * the published location of the run directory belong to the CI setup, not to a run's flags,
 * so they come from the environment; a bad one is refused when the reporters are set up.
 */
export function createKcidbReporter(options: KcidbReporterOptions): FileReporter {
  const origin = options.origin ?? process.env.MEMHARNESS_KCIDB_ORIGIN ?? 'memharness';
  if (!KCIDB_ORIGIN_PATTERN.test(origin)) {
    throw new HarnessError('usage', `kcidb origin ${JSON.stringify(origin)} is not one kcidb accepts`, {
      hint: 'MEMHARNESS_KCIDB_ORIGIN must be lowercase letters, digits and _ (e.g. memharness_nightly)',
    });
  }
  const artifactsUrl = options.artifactsUrl ?? (process.env.MEMHARNESS_KCIDB_ARTIFACTS_URL || undefined);
  if (artifactsUrl !== undefined && !URL.canParse(artifactsUrl)) {
    throw new HarnessError('usage', `kcidb artifacts URL ${JSON.stringify(artifactsUrl)} is not a URL`, {
      hint: 'MEMHARNESS_KCIDB_ARTIFACTS_URL is where the run directory is published, e.g. https://ci.example.org/nightly/<run-id>/',
    });
  }
  return new FileReporter({
    name: 'kcidb',
    file: path.join(options.outputDir, KCIDB_FILE),
    render: (run, errors) => `${JSON.stringify(buildKcidb(run, { origin, runDir: options.outputDir, errors, ...(artifactsUrl ? { artifactsUrl } : {}) }), null, 2)}\n`,
  });
}
