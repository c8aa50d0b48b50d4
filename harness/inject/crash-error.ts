import { parseCrashes } from '../kernel-log/crash/parse-crashes.ts';
import { parseConsoleLine } from '../kernel-log/records/console-record.ts';
import { HarnessError } from '../util/errors.ts';
import type { Guest } from '../vm/guest.ts';

/**
 * The error for a guest kernel that died while being exercised: titled by the crash parser
 * from the serial console (kmsg dies with the guest), with the console tail and log kept.
 */
export function kernelCrashError(guest: Guest, during: string, cause?: unknown): HarnessError {
  const records = guest.machine.console.lines().flatMap((line) => parseConsoleLine(line.text, line.atMs));
  const crashes = parseCrashes(records, { logPath: guest.consoleLogPath });
  const title = crashes[0]?.title ?? 'the guest died without a recognisable crash report';
  return new HarnessError('kernel-crash', `the guest kernel crashed ${during}: ${title}`, {
    consoleTail: guest.machine.console.tailText(60),
    consoleLog: guest.consoleLogPath,
    cause,
  });
}
