/**
 * One error type for everything the harness reports to a person. `kind` says whose fault it
 * is (usage, host, kernel, guest), which decides the exit code and, later, the verdict
 * (a kernel failure is never confused with broken infrastructure).
 */
export type ErrorKind =
  | 'usage'
  | 'prerequisite'
  | 'kernel'
  | 'image'
  | 'qemu'
  | 'boot'
  | 'guest-panic'
  /** The kernel under test crashed while a test exercised it: a kernel failure, not infra. */
  | 'kernel-crash'
  | 'guest-unreachable'
  | 'ssh'
  /** The guest could not do what the harness asked (a tool or module missing in it). */
  | 'guest'
  | 'timeout'
  | 'interrupted';

export interface ErrorDetails {
  /** What the user can do about it. */
  hint?: string;
  /** Last lines of the guest's serial console, already size-capped. */
  consoleTail?: string;
  /** Where the full console log was kept. */
  consoleLog?: string;
  cause?: unknown;
}

export class HarnessError extends Error {
  readonly kind: ErrorKind;
  readonly details: ErrorDetails;

  constructor(kind: ErrorKind, message: string, details: ErrorDetails = {}) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.name = 'HarnessError';
    this.kind = kind;
    this.details = details;
  }
}

export const EXIT_OK = 0;
export const EXIT_TEST_FAILURE = 1;
export const EXIT_INFRA = 2;
export const EXIT_INTERRUPTED = 130;

export function exitCodeFor(error: unknown): number {
  if (error instanceof HarnessError && error.kind === 'interrupted') return EXIT_INTERRUPTED;
  if (error instanceof HarnessError && error.kind === 'kernel-crash') return EXIT_TEST_FAILURE;
  return EXIT_INFRA;
}

/** Renders an error for a terminal: message, hint, console tail, log path. */
export function formatError(error: unknown): string {
  if (!(error instanceof HarnessError)) {
    return `memharness: internal error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`;
  }
  const lines = [`memharness: ${error.message}`];
  if (error.details.hint) lines.push(`  hint: ${error.details.hint}`);
  if (error.details.consoleTail) {
    lines.push('  --- guest console (last lines) ---');
    for (const line of error.details.consoleTail.split('\n')) lines.push(`  | ${line}`);
    lines.push('  ---');
  }
  if (error.details.consoleLog) lines.push(`  full console log: ${error.details.consoleLog}`);
  return lines.join('\n');
}
