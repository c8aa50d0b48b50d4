import fs from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Comparison } from '../compare/comparison.ts';
import { writeFileAtomic } from '../results/atomic-write.ts';
import type { RunResult } from '../results/run-result.ts';
import { FileReporter } from './file-reporter.ts';
import { buildReportModel, type ReportModelOptions } from './html/report-model.ts';
import { renderReportHtml } from './html/render-report.ts';

export const HTML_REPORT_FILE = 'report.html';

/**
 * report.html's text. The one function behind the reporter (during `run`), `merge`'s replay
 * and the re-render once compare has classified the run (`addComparisonToHtmlReport`), so
 * the three never drift apart.
 */
export async function renderHtmlReport(run: RunResult, options: ReportModelOptions): Promise<string> {
  return renderReportHtml(await buildReportModel(run, options));
}

/** report.html: one self-contained page (inline CSS and JS, no network) for people to read a run. */
export function createHtmlReporter(options: { outputDir: string } & Omit<ReportModelOptions, 'runDir' | 'errors'>): FileReporter {
  return new FileReporter({
    name: 'html',
    file: path.join(options.outputDir, HTML_REPORT_FILE),
    render: (run, errors) => renderHtmlReport(run, { ...options, runDir: options.outputDir, errors }),
  });
}

/**
 * report.html of a run directory made again with compare's categories, once `run --baseline`
 * or `compare` has classified the run. Only a report that is there is updated (the run's
 * reporters chose whether to have one). Everything it shows comes from `run` (results.json),
 * its errors outside any case included. Returns the file, or null when there was none.
 */
export async function addComparisonToHtmlReport(runDir: string, run: RunResult, comparison: Comparison): Promise<string | null> {
  const file = path.join(runDir, HTML_REPORT_FILE);
  const exists = await fs.stat(file).then(
    () => true,
    (error: NodeJS.ErrnoException) => (error.code === 'ENOENT' ? false : Promise.reject(error)),
  );
  if (!exists) return null;
  await writeFileAtomic(file, await renderHtmlReport(run, { runDir, comparison }));
  return file;
}

/**
 * What `run` prints last, as Playwright does: where to open report.html, as a file:// URL a
 * terminal makes clickable. Null when there is none, or not this run's (a reused --output
 * whose html reporter failed this time).
 */
export async function htmlReportLocation(runDir: string, run: Pick<RunResult, 'startedAt'>): Promise<string | null> {
  const file = path.resolve(runDir, HTML_REPORT_FILE);
  const stat = await fs.stat(file).catch(() => null);
  if (!stat || stat.mtimeMs < Date.parse(run.startedAt)) return null;
  return `\nTo open the HTML report, open this in a browser:\n\n  ${pathToFileURL(file).href}\n\n`;
}
