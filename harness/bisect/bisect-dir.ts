import path from 'node:path';
import { defaultResultsRoot } from '../results/run-dirs.ts';

/** Where bisects go unless --output says otherwise (not a run id, so `run --keep` never prunes one). */
export const defaultBisectRoot: string = path.join(defaultResultsRoot, 'bisect');

const safe = (text: string) => text.replace(/[^A-Za-z0-9._+-]+/g, '_');

/**
 * The default directory of a Debian-range bisect is named after its arguments, so that
 * running the same command again finds the saved state and continues without --output.
 */
export function defaultDebianBisectDir(args: { case: string; good: string; bad: string; fix: boolean }): string {
  return path.join(defaultBisectRoot, safe(`${args.case.replace('/', '.')}-${args.good}..${args.bad}${args.fix ? '-fix' : ''}`));
}

/** A git bisect cannot be continued (git's own state is reset at the end), so each gets a new directory. */
export function defaultGitBisectDir(caseKey: string, now: Date = new Date()): string {
  const stamp = now.toISOString().replace(/[-:]/g, '').replace(/\..*$/, '');
  return path.join(defaultBisectRoot, safe(`git-${caseKey.replace('/', '.')}-${stamp}`));
}
