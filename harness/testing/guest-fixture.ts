import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { bootPreparedGuest, prepareLaunch, type PreparedLaunch } from '../launch/launch-guest.ts';
import { liveChildGroups } from '../util/child-processes.ts';
import { HarnessError, formatError } from '../util/errors.ts';
import { createProgress } from '../util/progress.ts';
import type { Guest } from '../vm/guest.ts';
import { defaultGuestSpec, type GuestSpecInput } from '../vm/guest-spec.ts';

/** Boot stages get generous deadlines in tests: a slow CI host must not make them flaky. */
export const TEST_BOOT_TIMEOUT_MS = 240_000;

export interface TestGuest {
  guest: Guest;
  prepared: PreparedLaunch;
  runDir: string;
}

/**
 * Boots a real guest for a test and always shuts it down. When the test body fails, the
 * error is rethrown with the guest's console tail and log path attached, so a CI failure
 * shows what the kernel printed.
 */
export async function withTestGuest<T>(kernelRef: string | undefined, specInput: GuestSpecInput, body: (ctx: TestGuest) => Promise<T>): Promise<T> {
  const shared = await bootSharedTestGuest(kernelRef, specInput);
  try {
    return await withConsoleOnFailure(shared.guest, () => body(shared));
  } finally {
    await shared.dispose();
  }
}

/** PIDs of QEMU process groups this test process still has running (must be none). */
export function leftoverQemuGroups(): number[] {
  return [...liveChildGroups().keys()];
}

/** PIDs of any process whose command line mentions `needle` (e.g. a test's private TMPDIR). */
export async function processesMentioning(needle: string): Promise<number[]> {
  const found: number[] = [];
  for (const entry of await fs.readdir('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    const cmdline = await fs.readFile(`/proc/${entry}/cmdline`, 'utf8').catch(() => '');
    if (cmdline.includes(needle)) found.push(Number(entry));
  }
  return found;
}

export interface SharedTestGuest extends TestGuest {
  dispose(): Promise<void>;
}

/**
 * A guest shared by several tests of one file (beforeAll/afterAll), for checks that can
 * run one after another on one kernel without a fresh boot each.
 */
export async function bootSharedTestGuest(kernelRef: string | undefined, specInput: GuestSpecInput): Promise<SharedTestGuest> {
  const runDir = await fs.mkdtemp(path.join(os.tmpdir(), 'memharness-test-'));
  const progress = createProgress({ quiet: !process.env.MEMHARNESS_TEST_VERBOSE });
  const spec = defaultGuestSpec(specInput);
  let prepared: PreparedLaunch;
  let guest: Guest;
  try {
    prepared = await prepareLaunch({ kernelRef, spec, accel: 'auto', runDir, progress });
    guest = await bootPreparedGuest(prepared, { spec, runDir, progress, bootTimeoutMs: TEST_BOOT_TIMEOUT_MS });
  } catch (error) {
    throw error instanceof HarnessError ? new Error(formatError(error), { cause: error }) : error;
  }
  return {
    guest,
    prepared,
    runDir,
    async dispose() {
      await guest.shutdown();
      await fs.rm(runDir, { recursive: true, force: true });
    },
  };
}

/** Rethrows a test failure with the guest's console tail attached. */
export async function withConsoleOnFailure<T>(guest: Guest, body: () => Promise<T>): Promise<T> {
  try {
    return await body();
  } catch (error) {
    const tail = guest.machine.console.tailText(60);
    throw new Error(`${error instanceof Error ? error.message : String(error)}\n--- guest console (last lines; full log ${guest.consoleLogPath}) ---\n${tail}`, { cause: error });
  }
}
