import path from 'node:path';
import { FileReporter } from './file-reporter.ts';
import { buildJunitXml } from './junit-xml.ts';

export const JUNIT_FILE = 'junit.xml';

export function createJunitReporter(options: { outputDir: string }): FileReporter {
  return new FileReporter({
    name: 'junit',
    file: path.join(options.outputDir, JUNIT_FILE),
    render: (run, errors) => buildJunitXml(run, { errors }),
  });
}
