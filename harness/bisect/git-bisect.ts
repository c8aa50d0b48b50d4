import { spawnSync } from 'node:child_process';
import { execa } from 'execa';
import { onInterrupt, registerChildGroup, unregisterChildGroup } from '../util/child-processes.ts';
import { HarnessError } from '../util/errors.ts';

export interface GitBisectOptions {
  /** Any directory inside the repository. */
  repo: string;
  good: string;
  bad: string;
  /** Find the first commit where the failure went away: git's terms become broken/fixed. */
  fix: boolean;
  /** The step command, as an argument vector, run by `git bisect run` at each commit. */
  step: readonly string[];
  /** Each line git and the steps print, as it comes. */
  onOutput(line: string): void;
}

export type GitBisectAnswer =
  | { kind: 'found'; commit: string; subject: string }
  /** Skipped commits sit next to the answer. */
  | { kind: 'suspects'; commits: string[] }
  | { kind: 'failed'; message: string };

export interface GitBisectResult {
  answer: GitBisectAnswer;
  goodCommit: string;
  badCommit: string;
  /** `git bisect log` at the end: every commit git marked, and how. */
  log: string;
  /** Everything `git bisect run` printed. */
  output: string;
}

async function git(cwd: string, args: readonly string[]): Promise<{ ok: boolean; stdout: string; stderr: string }> {
  const result = await execa('git', args, { cwd, reject: false, stdin: 'ignore' });
  if (result.code === 'ENOENT') throw new HarnessError('prerequisite', 'git is not installed', { hint: 'install it: apt-get install git' });
  return { ok: result.exitCode === 0, stdout: String(result.stdout).trim(), stderr: String(result.stderr).trim() };
}

/** The answer in `git bisect run`'s output (git 2.39: "<sha> is the first bad commit", or the skipped range). */
export function parseBisectRunOutput(output: string, exitCode: number | undefined): GitBisectAnswer {
  const found = /^([0-9a-f]{7,64}) is the first (\S+) commit$/m.exec(output);
  if (found?.[1]) {
    const after = output.slice(found.index + found[0].length);
    const subject = /\n\n {4}(.*)\n/.exec(after)?.[1]?.trim() ?? '';
    return { kind: 'found', commit: found[1], subject };
  }
  const any = /The first \S+ commit could be any of:\n((?:[0-9a-f]{7,64}\n)+)/.exec(output);
  if (any?.[1]) return { kind: 'suspects', commits: any[1].trim().split('\n') };
  const error = output.split('\n').filter((line) => /^(error|fatal):/.test(line)).join('; ');
  return { kind: 'failed', message: error || `git bisect run ended with exit code ${exitCode ?? 'unknown'} and no answer` };
}

/** Waits until no process of the group is left (the step may outlive git by its cleanup), then kills what remains. */
async function drainGroup(pid: number, timeoutMs: number): Promise<void> {
  const alive = () => {
    try {
      process.kill(-pid, 0);
      return true;
    } catch {
      return false;
    }
  };
  const deadline = Date.now() + timeoutMs;
  while (alive() && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 200));
  if (alive()) {
    try {
      process.kill(-pid, 'SIGKILL');
    } catch {
      // Gone meanwhile.
    }
  }
}

/**
 * Drives `git bisect start` and `git bisect run` with the step command, and always ends with
 * `git bisect reset`, also after a failure or Ctrl-C, so the repository is left on the branch
 * it was on. git and the steps run in their own process group: the first Ctrl-C is passed
 * to them (a step stops its guests and exits 130, which makes git give up), and the reset
 * waits until the group is gone.
 */
export async function runGitBisect(options: GitBisectOptions): Promise<GitBisectResult> {
  const top = await git(options.repo, ['rev-parse', '--show-toplevel']);
  if (!top.ok) throw new HarnessError('usage', `--git ${options.repo} is not a git repository: ${top.stderr}`);
  const cwd = top.stdout;
  if ((await git(cwd, ['bisect', 'log'])).ok) {
    throw new HarnessError('usage', `a git bisect is already in progress in ${cwd}`, { hint: `finish it first: git -C ${cwd} bisect reset` });
  }
  const dirty = await git(cwd, ['status', '--porcelain', '--untracked-files=no']);
  if (dirty.stdout !== '') {
    throw new HarnessError('usage', `${cwd} has uncommitted changes; git bisect would carry them into every commit it checks out`, { hint: 'commit or stash them first' });
  }
  const resolve = async (flag: string, rev: string) => {
    const parsed = await git(cwd, ['rev-parse', '--verify', '--quiet', `${rev}^{commit}`]);
    if (!parsed.ok) throw new HarnessError('usage', `${flag} ${rev}: no such commit in ${cwd}`);
    return parsed.stdout;
  };
  const goodCommit = await resolve('--good', options.good);
  const badCommit = await resolve('--bad', options.bad);
  const terms = options.fix ? ['--term-old=broken', '--term-new=fixed'] : [];
  const started = await git(cwd, ['bisect', 'start', ...terms, badCommit, goodCommit]);
  if (!started.ok) throw new HarnessError('usage', `git bisect start failed: ${started.stderr || started.stdout}`);

  let resetDone = false;
  const reset = () => {
    if (resetDone) return;
    resetDone = true;
    spawnSync('git', ['bisect', 'reset'], { cwd, stdio: 'ignore' });
  };
  // A second Ctrl-C exits at once; the repository must still not be left mid-bisect.
  process.once('exit', reset);
  let interrupted = false;
  let groupPid: number | undefined;
  const stopListening = onInterrupt(() => {
    interrupted = true;
    if (groupPid !== undefined) {
      try {
        process.kill(-groupPid, 'SIGINT');
      } catch {
        // Already gone.
      }
    }
  });
  try {
    for (const line of started.stdout.split('\n')) if (line) options.onOutput(line);
    const child = execa('git', ['bisect', 'run', ...options.step], { cwd, reject: false, all: true, stdin: 'ignore', detached: true });
    groupPid = child.pid;
    if (groupPid !== undefined) registerChildGroup(groupPid, 'git bisect run');
    let pending = '';
    child.all?.on('data', (chunk: Buffer) => {
      pending += chunk.toString('utf8');
      const lines = pending.split('\n');
      pending = lines.pop() ?? '';
      for (const line of lines) options.onOutput(line);
    });
    const result = await child;
    if (pending) options.onOutput(pending);
    if (groupPid !== undefined) {
      await drainGroup(groupPid, 60_000);
      unregisterChildGroup(groupPid);
    }
    const output = String(result.all ?? '');
    const log = (await git(cwd, ['bisect', 'log'])).stdout;
    if (interrupted) throw new HarnessError('interrupted', 'bisect interrupted; git bisect reset was run');
    return { answer: parseBisectRunOutput(output, result.exitCode), goodCommit, badCommit, log, output };
  } finally {
    stopListening();
    reset();
    process.removeListener('exit', reset);
  }
}
