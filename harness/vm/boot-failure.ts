import { HarnessError } from '../util/errors.ts';
import type { QemuMachine } from './qemu-machine.ts';

/** Console lines that mean the kernel died; the first one found becomes the error's title. */
const FATAL_LINE = /Kernel panic - not syncing.*|BUG: .*|Oops: .*|general protection fault.*|kernel BUG at .*/;

/**
 * Turns "the thing we waited for did not happen" into the error a person needs: a panic
 * (with its line), QEMU exiting (with what QEMU said), or a plain timeout, each with the
 * console tail and the log path.
 */
export async function explainBootFailure(machine: QemuMachine, waitingFor: string, cause: unknown): Promise<HarnessError> {
  if (cause instanceof HarnessError) return cause;
  const consoleTail = machine.console.tailText(60);
  const consoleLog = machine.console.logPath;
  const fatal = machine.console
    .lines()
    .map((line) => FATAL_LINE.exec(line.text)?.[0])
    .find((match): match is string => Boolean(match));
  if (fatal) {
    return new HarnessError('guest-panic', `the guest kernel crashed while ${waitingFor}: ${fatal.slice(0, 200)}`, {
      consoleTail,
      consoleLog,
      cause,
    });
  }
  if (!machine.isRunning) {
    const exit = await machine.exited;
    const said = exit.stderr.trim();
    return new HarnessError('qemu', `QEMU exited (${exit.signal ?? `code ${exit.code}`}) while ${waitingFor}${said ? `: ${said.slice(0, 500)}` : ''}`, {
      consoleTail,
      consoleLog,
      cause,
    });
  }
  const reason = cause instanceof Error ? cause.message : String(cause);
  return new HarnessError('guest-unreachable', `the guest did not get there while ${waitingFor}: ${reason}`, {
    consoleTail,
    consoleLog,
    cause,
  });
}
