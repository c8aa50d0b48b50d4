import path from 'node:path';
import { FileReporter } from './file-reporter.ts';
import { buildKtap } from './ktap-format.ts';

export const KTAP_FILE = 'results.ktap';

export function createKtapReporter(options: { outputDir: string }): FileReporter {
  return new FileReporter({
    name: 'ktap',
    file: path.join(options.outputDir, KTAP_FILE),
    render: (run, errors) => buildKtap(run, { errors }),
  });
}
