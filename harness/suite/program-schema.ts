import path from 'node:path';
import { z } from 'zod';
import { didYouMean } from './did-you-mean.ts';
import { HELPER_REF_NAME, TARGET_NAME } from './value-ref.ts';

/**
 * A `program` step: a user's program copied into the guest and run there. A C file (`.c`)
 * is compiled on the host first (gcc -static, harness/programs/program-build.ts); anything
 * else (a script with `#!`, a static binary) is copied as it is. `path` is relative to the
 * suite file; `file` is that path resolved, set by the loader.
 */
export interface ProgramAction {
  kind: 'program';
  /** For `$NAME.pid`, `$NAME.comm`, results, and the guest file's name (so the process's comm). */
  name: string;
  /** As written in the suite. */
  path: string;
  /** Resolved against the suite file's directory by the loader (until then: `path`). */
  file: string;
  /** Arguments, with references (`$t0.pfn`, `$p1.pid`) substituted when the step runs. */
  args: string[];
  /** Added after the defaults when compiling a C file; null for a file copied as is. */
  cflags: string[] | null;
  /** Keeps running across the following steps; stopped (SIGTERM, then SIGKILL) at the case's end. */
  background: boolean;
  /** A regex a line of its stdout must match before the next step starts (background only). */
  ready: string | null;
}

/** Signal names as `signal:` takes them (Linux x86 numbering; the SSH exit-signal names with SIG). */
export const SIGNAL_NAMES = [
  'SIGHUP', 'SIGINT', 'SIGQUIT', 'SIGILL', 'SIGTRAP', 'SIGABRT', 'SIGBUS', 'SIGFPE', 'SIGKILL', 'SIGUSR1', 'SIGSEGV', 'SIGUSR2', 'SIGPIPE', 'SIGALRM', 'SIGTERM',
  'SIGSTKFLT', 'SIGCHLD', 'SIGCONT', 'SIGSTOP', 'SIGTSTP', 'SIGTTIN', 'SIGTTOU', 'SIGURG', 'SIGXCPU', 'SIGXFSZ', 'SIGVTALRM', 'SIGPROF', 'SIGWINCH', 'SIGIO', 'SIGPWR', 'SIGSYS',
] as const;
export type SignalName = (typeof SIGNAL_NAMES)[number];

/** `signal: SIGBUS` (killed by that signal) or `signal: none` (it exited, or still runs). */
export const signalOutcomeSchema = z.string().transform((value, ctx): SignalName | null => {
  if (value === 'none') return null;
  const name = value.startsWith('SIG') ? value : `SIG${value}`;
  if ((SIGNAL_NAMES as readonly string[]).includes(name)) return name as SignalName;
  ctx.addIssue({ code: 'custom', message: `expected none or a signal name such as SIGBUS, SIGKILL, SIGSEGV, got '${value}'${didYouMean(value, [...SIGNAL_NAMES, 'none'])}` });
  return z.NEVER;
});

/** The name a program gets from its file when the step names none: `touch-and-hold.c` → `touch_and_hold`. */
export function defaultProgramName(file: string): string {
  const base = path.basename(file).replace(/\.[^.]*$/, '').toLowerCase().replace(/[^a-z0-9_]+/g, '_').replace(/^_+|_+$/g, '');
  const name = /^[a-z]/.test(base) ? base : `p_${base}`;
  return name.slice(0, 32);
}

const regexSchema = z.string().min(1).superRefine((pattern, ctx) => {
  try {
    new RegExp(pattern);
  } catch (error) {
    ctx.addIssue({ code: 'custom', message: `bad regex: ${error instanceof Error ? error.message : String(error)}` });
  }
});

const programNameSchema = z
  .string()
  .regex(TARGET_NAME, 'a program name: a lowercase letter, then letters, digits or _ (e.g. p1)')
  .refine((name) => name !== HELPER_REF_NAME, `'${HELPER_REF_NAME}' is reserved ($helper is the helper process)`);

const argSchema = z.union([z.string(), z.number()]).transform(String);

/** `program: programs/x.c` or `program: { path, name?, args?, cflags?, background?, ready? }`. */
export const programStepSchema = z
  .preprocess(
    (value) => (typeof value === 'string' ? { path: value } : value),
    z.object({
      path: z.string().min(1),
      name: programNameSchema.optional(),
      args: z.array(argSchema).optional(),
      cflags: z.array(z.string().min(1)).optional(),
      background: z.boolean().optional(),
      ready: regexSchema.optional(),
    }),
  )
  .superRefine((value, ctx) => {
    if (path.isAbsolute(value.path)) ctx.addIssue({ code: 'custom', path: ['path'], message: `a program's path is relative to the suite file (programs/${path.basename(value.path)}), not absolute` });
    if (value.cflags !== undefined && !value.path.endsWith('.c')) ctx.addIssue({ code: 'custom', path: ['cflags'], message: 'cflags are for a C file (.c), which the harness compiles; this file is copied as it is' });
    if (value.ready !== undefined && !value.background) ctx.addIssue({ code: 'custom', path: ['ready'], message: 'ready: is for a background program (background: true); a program that runs to its end is waited for anyway' });
  })
  .transform(
    (value): ProgramAction => ({
      kind: 'program',
      name: value.name ?? defaultProgramName(value.path),
      path: value.path,
      file: value.path,
      args: value.args ?? [],
      cflags: value.path.endsWith('.c') ? (value.cflags ?? []) : null,
      background: value.background ?? false,
      ready: value.ready ?? null,
    }),
  );

/** What a program step expects when it says nothing: a program that ran to its end exited 0; a background one ran until the case's end. */
export function programDefaultExpect(action: ProgramAction): { exit: number } | { running: boolean } {
  return action.background ? { running: true } : { exit: 0 };
}

/** A program step's file resolved against the suite file's directory (other actions as they are). */
export function withSuiteRelativeFile<A extends { kind: string }>(action: A, suiteFile: string): A {
  if (action.kind !== 'program') return action;
  const program = action as unknown as ProgramAction;
  return { ...action, file: path.resolve(path.dirname(suiteFile), program.path) };
}
