import { bootPreparedGuest, prepareLaunch, type PreparedLaunch } from '../launch/launch-guest.ts';
import { createProgress, type Progress } from '../util/progress.ts';
import type { Guest } from '../vm/guest.ts';
import type { GuestSpec } from '../vm/guest-spec.ts';
import { guestSpecFromOptions, type GuestCliOptions } from './guest-options.ts';
import { withRunDir } from './run-dir.ts';

/**
 * What boot, shell and exec share: prepare, boot one guest from the common flags, hand it to
 * `work`, and shut it down whatever happens.
 */
export async function withFreshGuest<T>(
  command: string,
  options: GuestCliOptions,
  work: (guest: Guest, prepared: PreparedLaunch, progress: Progress) => Promise<T>,
  adjustSpec: (spec: GuestSpec) => GuestSpec = (spec) => spec,
): Promise<T> {
  const spec = adjustSpec(guestSpecFromOptions(options));
  const progress = createProgress();
  return withRunDir(command, async (runDir) => {
    const prepared = await prepareLaunch({ kernelRef: options.kernel, modulesDir: options.modules, spec, accel: options.accel, runDir, progress, sshPort: options.sshPort });
    const guest = await bootPreparedGuest(prepared, { spec, runDir, progress, sshPort: options.sshPort, bootTimeoutMs: options.bootTimeout * 1000 });
    try {
      return await work(guest, prepared, progress);
    } finally {
      await guest.shutdown();
    }
  });
}
