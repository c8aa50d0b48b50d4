import path from 'node:path';
import { FileReporter } from './file-reporter.ts';
import { buildReportModel, type ReportModelOptions } from './html/report-model.ts';
import { renderReportHtml } from './html/render-report.ts';

export const HTML_REPORT_FILE = 'report.html';

/** report.html: one self-contained page (inline CSS and JS, no network) for people to read a run. */
export function createHtmlReporter(options: { outputDir: string } & Omit<ReportModelOptions, 'runDir' | 'errors'>): FileReporter {
  return new FileReporter({
    name: 'html',
    file: path.join(options.outputDir, HTML_REPORT_FILE),
    render: async (run, errors) => renderReportHtml(await buildReportModel(run, { ...options, runDir: options.outputDir, errors })),
  });
}
