import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Eta } from 'eta';
import { projectRoot } from '../../util/paths.ts';
import type { HtmlReportModel } from './report-model.ts';

// From the source tree, whether this runs as TypeScript or from the compiled dist/.
const HERE = path.join(projectRoot, 'harness', 'reporters', 'html');

function sha256(text: string): string {
  return `'sha256-${createHash('sha256').update(text, 'utf8').digest('base64')}'`;
}

/**
 * The report's own stylesheet and script are allowed by hash and nothing else is: no network
 * at all, and no inline script but ours. If guest text ever slipped past the escaping, the
 * browser would still refuse to run it.
 */
export function contentSecurityPolicy(css: string, js: string): string {
  return `default-src 'none'; style-src ${sha256(css)}; script-src ${sha256(js)}; img-src data:; base-uri 'none'; form-action 'none'`;
}

let eta: Eta | undefined;

/** report.html from its model: an Eta template that HTML-escapes every `<%= %>` by default. */
export function renderReportHtml(model: HtmlReportModel): string {
  eta ??= new Eta({ views: HERE, autoEscape: true, cache: true });
  const css = readFileSync(path.join(HERE, 'report.css'), 'utf8');
  const js = readFileSync(path.join(HERE, 'report.js'), 'utf8');
  return eta.render('report', { m: model, css, js, csp: contentSecurityPolicy(css, js) });
}
