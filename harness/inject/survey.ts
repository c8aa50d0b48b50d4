/**
 * npm run survey:inject -- [--kernel K]... [--method M]... [--target T]...
 *
 * Runs every injection method against every target kind it applies to, on real guests (one
 * boot per kernel and method, a fresh helper per target), and prints the method x target x
 * kernel table of what the kernel did. This is how the table in the project notes is made.
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { HelperSession } from '../guest-helper/helper-session.ts';
import { startGuestKmsgReader } from '../kernel-log/reader/guest-kmsg-reader.ts';
import { bootPreparedGuest, prepareLaunch } from '../launch/launch-guest.ts';
import { createProgress } from '../util/progress.ts';
import { defaultGuestSpec } from '../vm/guest-spec.ts';
import { INJECTION_METHODS, type InjectionMethod } from './injection.ts';
import { INJECTORS } from './injectors.ts';
import { runInjection } from './run-injection.ts';
import { summarise } from './survey-summary.ts';
import { SCRATCH_FS_MODULES } from './scratch-fs.ts';
import { TARGET_KIND_NAMES, TARGET_KIND_TRAITS, type TargetKind } from './target-kind-traits.ts';
import { prepareTarget } from './targets.ts';

/** Kinds the survey leaves out unless asked: free-movable needs a movablecore= guest, and
 *  slab (kernel memory) is not a page any of the injections can recover. */
const NOT_SURVEYED: readonly TargetKind[] = ['free-movable', 'slab'];

const { values } = parseArgs({
  options: {
    kernel: { type: 'string', multiple: true, default: ['latest-6.12', '6.1.0-56'] },
    method: { type: 'string', multiple: true, default: INJECTION_METHODS.filter((m) => m !== 'debugfs-unpoison') },
    target: { type: 'string', multiple: true, default: TARGET_KIND_NAMES.filter((kind) => !NOT_SURVEYED.includes(kind)) },
    json: { type: 'string' },
  },
});

const progress = createProgress();
const rows: { kernel: string; method: string; target: string; cell: string }[] = [];
for (const kernelRef of values.kernel) {
  for (const method of values.method as InjectionMethod[]) {
    const injector = INJECTORS[method];
    const targets = (values.target as TargetKind[]).filter((kind) => !injector.refuse({ kind, pfn: 0n, ...(TARGET_KIND_TRAITS[kind].owned ? { owner: {} as never } : {}) }));
    const runDir = await fs.mkdtemp(path.join(os.tmpdir(), 'memharness-survey-'));
    const baseSpec = defaultGuestSpec({ modules: ['hwpoison_inject', ...SCRATCH_FS_MODULES] });
    const spec = injector.guestRequirements ? injector.guestRequirements(baseSpec) : baseSpec;
    const prepared = await prepareLaunch({ kernelRef, spec, accel: 'auto', runDir, progress });
    const guest = await bootPreparedGuest(prepared, { spec, runDir, progress });
    const kernel = guest.unameRelease ?? kernelRef;
    try {
      const kmsg = await startGuestKmsgReader(guest);
      for (const [index, kind] of targets.entries()) {
        if (!guest.machine.isRunning) {
          rows.push({ kernel, method, target: kind, cell: 'not run (guest died earlier)' });
          continue;
        }
        let cell: string;
        try {
          const helper = await HelperSession.start(guest.ssh);
          try {
            const target = await prepareTarget(guest, helper, kind, `t${index}`);
            const report = await runInjection({ guest, helper, kmsg, injector, target, touch: true, accel: prepared.accel.accel });
            cell = summarise(report);
          } finally {
            await helper.close().catch(() => undefined);
          }
        } catch (error) {
          cell = `error: ${error instanceof Error ? error.message.split('\n')[0] : String(error)}`;
        }
        rows.push({ kernel, method, target: kind, cell });
        progress.info(`${kernel} ${method} ${kind}: ${cell}`);
      }
      await kmsg.stop();
    } finally {
      await guest.shutdown();
      await fs.rm(runDir, { recursive: true, force: true });
    }
  }
}

const kernels = [...new Set(rows.map((r) => r.kernel))];
const lines = [`| method | target | ${kernels.join(' | ')} |`, `| --- | --- | ${kernels.map(() => '---').join(' | ')} |`];
for (const method of values.method) {
  for (const target of values.target) {
    const cells = kernels.map((kernel) => rows.find((r) => r.kernel === kernel && r.method === method && r.target === target)?.cell ?? 'n/a');
    if (cells.every((c) => c === 'n/a')) continue;
    lines.push(`| ${method} | ${target} | ${cells.join(' | ')} |`);
  }
}
process.stdout.write(`${lines.join('\n')}\n`);
if (values.json) await fs.writeFile(values.json, JSON.stringify(rows, null, 2));
