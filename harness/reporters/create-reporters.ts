import { HarnessError } from '../util/errors.ts';
import { createHtmlReporter } from './html-reporter.ts';
import { JsonReporter } from './json-reporter.ts';
import { createKcidbReporter } from './kcidb-reporter.ts';
import { createJunitReporter } from './junit-reporter.ts';
import { createKtapReporter } from './ktap-reporter.ts';
import { ListReporter, type TextSink } from './list-reporter.ts';
import { Multiplexer, type ReporterFailureHandler } from './multiplexer.ts';
import type { Reporter } from './reporter.ts';
import { coloursWanted } from './text/colours.ts';

export const REPORTER_NAMES = ['list', 'json', 'junit', 'ktap', 'html', 'kcidb'] as const;
export type ReporterName = (typeof REPORTER_NAMES)[number];

/** `run` and `backport-check` without --reporter: the terminal, results.json and report.html. */
export const DEFAULT_REPORTERS: readonly ReporterName[] = ['list', 'json', 'html'];

export interface CreateReportersOptions {
  /** The run directory: results.json, junit.xml, results.ktap, report.html and kcidb.json go here. */
  outputDir: string;
  stdout: TextSink;
  isTTY: boolean;
  /** Defaults to "on a TTY, unless NO_COLOR". */
  colours?: boolean;
  /**
   * results.json is what compare, bisect and `latest` read, so it is written whatever the
   * selection says unless this is false (`json` in the list is then what turns it on).
   */
  alwaysWriteResults?: boolean;
  onReporterFailure?: ReporterFailureHandler;
}

function isReporterName(name: string): name is ReporterName {
  return (REPORTER_NAMES as readonly string[]).includes(name);
}

/** `--reporter list,junit` (repeatable) into names; blanks are dropped, duplicates kept once. */
export function parseReporterNames(values: string | readonly string[]): ReporterName[] {
  const names = (typeof values === 'string' ? [values] : values).flatMap((value) => value.split(',')).map((name) => name.trim()).filter(Boolean);
  const unknown = names.filter((name) => !isReporterName(name));
  if (unknown.length > 0) {
    throw new HarnessError('usage', `unknown reporter${unknown.length > 1 ? 's' : ''}: ${unknown.map((name) => JSON.stringify(name)).join(', ')}`, {
      hint: `the reporters are ${REPORTER_NAMES.join(', ')} (e.g. --reporter list,junit)`,
    });
  }
  return [...new Set(names as ReporterName[])];
}

function createReporter(name: ReporterName, options: CreateReportersOptions): Reporter {
  switch (name) {
    case 'list':
      return new ListReporter({
        stream: options.stdout,
        isTTY: options.isTTY,
        colours: options.colours ?? coloursWanted(options.isTTY),
        outputDir: options.outputDir,
      });
    case 'json':
      return new JsonReporter({ outputDir: options.outputDir });
    case 'junit':
      return createJunitReporter({ outputDir: options.outputDir });
    case 'ktap':
      return createKtapReporter({ outputDir: options.outputDir });
    case 'html':
      return createHtmlReporter({ outputDir: options.outputDir });
    case 'kcidb':
      return createKcidbReporter({ outputDir: options.outputDir });
  }
}

/**
 * The reporters named on the command line, behind one multiplexer. results.json comes first
 * (it is what must survive), the terminal last (so its closing summary is the last thing
 * printed, after the files it points to are written).
 */
export function createReporters(names: readonly string[], options: CreateReportersOptions): Multiplexer {
  const selected = parseReporterNames(names);
  if (options.alwaysWriteResults !== false && !selected.includes('json')) selected.unshift('json');
  const order: readonly ReporterName[] = ['json', 'junit', 'ktap', 'html', 'kcidb', 'list'];
  const ordered = order.filter((name) => selected.includes(name));
  return new Multiplexer(
    ordered.map((name) => createReporter(name, options)),
    options.onReporterFailure ? { onFailure: options.onReporterFailure } : {},
  );
}
