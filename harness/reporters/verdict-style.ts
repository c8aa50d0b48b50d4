import type { Verdict } from '../results/run-result.ts';

export type Colour = 'green' | 'red' | 'yellow' | 'magenta' | 'dim';

export interface VerdictStyle {
  /** One column wide on a terminal. */
  symbol: string;
  colour: Colour;
  /** What a reader is told, without colours: a symbol alone is not enough in a CI log. */
  label: string;
}

export const VERDICT_STYLES: Readonly<Record<Verdict, VerdictStyle>> = {
  passed: { symbol: '✓', colour: 'green', label: 'passed' },
  failed: { symbol: '✘', colour: 'red', label: 'failed' },
  xfail: { symbol: '✓', colour: 'dim', label: 'xfail (failed as expected)' },
  xpass: { symbol: '✘', colour: 'red', label: 'xpass (passed, expected to fail)' },
  skipped: { symbol: '-', colour: 'yellow', label: 'skipped' },
  crashed: { symbol: '‼', colour: 'red', label: 'crashed' },
  'infra-error': { symbol: '!', colour: 'magenta', label: 'infra-error' },
  flaky: { symbol: '±', colour: 'yellow', label: 'flaky' },
};
