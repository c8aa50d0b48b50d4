/**
 * Measures snapshot save and restore against a fresh boot: `npx tsx harness/vm/snapshot-bench.ts
 * [runs] [kernel...]`. Each run boots a fresh guest (readyMs), saves it (saveMs, size) and
 * restores it once (restoreMs: QEMU start → SSH answered, clock set). Prints one JSON line per run.
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { bootPreparedGuest, prepareLaunch } from '../launch/launch-guest.ts';
import { createProgress } from '../util/progress.ts';
import { defaultGuestSpec } from './guest-spec.ts';
import { restoreGuest } from './restore-guest.ts';
import { saveSnapshot } from './snapshot.ts';

const runs = Number(process.argv[2] ?? 3);
const kernels = process.argv.slice(3).length > 0 ? process.argv.slice(3) : ['6.12.117', '6.1.0-56'];
const progress = createProgress({ quiet: true });
const spec = defaultGuestSpec();

for (const kernelRef of kernels) {
  const runDir = await fs.mkdtemp(path.join(os.tmpdir(), 'memharness-snapbench-'));
  try {
    const prepared = await prepareLaunch({ kernelRef, spec, accel: 'auto', runDir, progress });
    for (let run = 1; run <= runs; run++) {
      const guest = await bootPreparedGuest(prepared, { spec, runDir, progress, name: `boot-${run}` });
      try {
        const snapshot = await saveSnapshot(guest, path.join(runDir, `snap-${run}.migration`));
        await guest.shutdown();
        const restored = await restoreGuest(snapshot, { machineDir: path.join(runDir, `restore-${run}`) });
        const skew = Number((await restored.exec('date +%s')).stdout.trim()) - Date.now() / 1000;
        await restored.shutdown();
        console.log(JSON.stringify({
          kernel: guest.unameRelease,
          accel: guest.accel,
          run,
          bootReadyMs: guest.timings.readyMs,
          saveMs: snapshot.saveMs,
          downtimeMs: snapshot.migration.downtimeMs,
          sizeMiB: Number((snapshot.sizeBytes / 1024 ** 2).toFixed(1)),
          restoreMs: restored.timings.restoreMs,
          clockSkewS: Number(skew.toFixed(2)),
        }));
      } finally {
        await guest.shutdown();
      }
    }
  } finally {
    await fs.rm(runDir, { recursive: true, force: true });
  }
}
