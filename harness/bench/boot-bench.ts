/**
 * npm run bench:boot -- [--kernel K]... [--reps N]
 *
 * Side by side, alternating, in one run: a bare `qemu-system-x86_64 -kernel K -initrd I`
 * boot to the init's first line (same kernel file, same initrd, no harness code) versus the
 * harness's `memharness boot --json` to SSH-ready. Prints medians and the ratio per kernel,
 * plus the harness process's peak RSS while its guest ran.
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { execa } from 'execa';
import { prepareLaunch } from '../launch/launch-guest.ts';
import { projectRoot } from '../util/paths.ts';
import { createProgress } from '../util/progress.ts';
import { defaultGuestSpec } from '../vm/guest-spec.ts';
import { renderInitCmdline, INIT_MARKERS } from '../image/init-protocol.ts';
import { baseKernelCmdline } from '../vm/guest.ts';
import { tcgThreading } from '../vm/qemu-args.ts';

const { values } = parseArgs({
  options: {
    kernel: { type: 'string', multiple: true, default: ['latest-6.12', '6.1.0-56'] },
    reps: { type: 'string', default: '5' },
    cpus: { type: 'string', default: String(defaultGuestSpec().cpus) },
  },
});
const reps = Number(values.reps);
const cpus = Number(values.cpus);

interface Sample {
  bareInitMs: number;
  harnessReadyMs: number;
  harnessBootMs: number;
  harnessWallMs: number;
  harnessMaxRssMiB: number;
}

async function bareBootToInit(kernelImage: string, initrd: string): Promise<number> {
  const started = Date.now();
  const child = execa(
    'qemu-system-x86_64',
    [
      '-machine', 'pc', '-accel', `tcg,thread=${tcgThreading(cpus)}`, '-cpu', defaultGuestSpec().cpuModel, '-smp', String(cpus), '-m', '2048M',
      '-nodefaults', '-display', 'none', '-no-reboot', '-serial', 'stdio',
      '-kernel', kernelImage, '-initrd', initrd,
      // The harness's own kernel command line, minus what only the harness needs (SSH).
      '-append', [...baseKernelCmdline(defaultGuestSpec()), ...renderInitCmdline({ modules: [], ssh: false, network: false })].join(' '),
    ],
    { buffer: false, reject: false, stdin: 'ignore' },
  );
  try {
    return await new Promise<number>((resolve, reject) => {
      let text = '';
      const timer = setTimeout(() => reject(new Error('bare boot did not reach init in 120 s')), 120_000);
      child.stdout!.on('data', (chunk: Buffer) => {
        text += chunk.toString('latin1');
        if (text.includes(INIT_MARKERS.start)) {
          clearTimeout(timer);
          resolve(Date.now() - started);
        }
      });
    });
  } finally {
    child.kill('SIGKILL');
    await child;
  }
}

async function harnessBoot(kernelRef: string): Promise<Omit<Sample, 'bareInitMs'>> {
  const started = Date.now();
  const { stdout } = await execa('node', [path.join(projectRoot, 'harness/bin/memharness.js'), 'boot', '--json', '--accel', 'tcg', '--cpus', String(cpus), '--kernel', kernelRef], {
  });
  const report = JSON.parse(stdout.trim().split('\n').pop() ?? '{}') as { readyMs: number; bootMs: number; maxRssMiB: number };
  return { harnessReadyMs: report.readyMs, harnessBootMs: report.bootMs, harnessWallMs: Date.now() - started, harnessMaxRssMiB: report.maxRssMiB };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

const progress = createProgress();
const lines: string[] = [];
for (const kernelRef of values.kernel) {
  const runDir = await fs.mkdtemp(path.join(os.tmpdir(), 'memharness-bench-'));
  const spec = defaultGuestSpec();
  // The harness's own image for this kernel, so bare QEMU boots the identical files.
  const prepared = await prepareLaunch({ kernelRef, spec, accel: 'tcg', runDir, progress });
  await harnessBoot(kernelRef); // warm-up: caches, page cache
  const samples: Sample[] = [];
  for (let i = 0; i < reps; i++) {
    const bareInitMs = await bareBootToInit(prepared.kernel.bootImage, prepared.image.initrdPath);
    const harness = await harnessBoot(kernelRef);
    samples.push({ bareInitMs, ...harness });
    progress.info(`  ${kernelRef} #${i + 1}: bare init ${bareInitMs} ms, harness ready ${harness.harnessReadyMs} ms (boot ${harness.harnessBootMs} ms, wall ${harness.harnessWallMs} ms, rss ${harness.harnessMaxRssMiB} MiB)`);
  }
  await fs.rm(runDir, { recursive: true, force: true });
  const bare = median(samples.map((s) => s.bareInitMs));
  const ready = median(samples.map((s) => s.harnessReadyMs));
  const ratios = samples.map((s) => s.harnessReadyMs / s.bareInitMs);
  lines.push(
    `${prepared.kernel.release} (${prepared.kernel.bootImage.endsWith('vmlinux') ? 'vmlinux/PVH' : 'bzImage'}), ${cpus} vCPU(s), ${reps} pairs:`,
    `  bare QEMU boot → init      median ${bare} ms  (min ${Math.min(...samples.map((s) => s.bareInitMs))}, max ${Math.max(...samples.map((s) => s.bareInitMs))})`,
    `  harness boot → SSH ready   median ${ready} ms  (min ${Math.min(...samples.map((s) => s.harnessReadyMs))}, max ${Math.max(...samples.map((s) => s.harnessReadyMs))})`,
    `  harness boot → init        median ${median(samples.map((s) => s.harnessBootMs))} ms`,
    `  ratio ready/bare           median ${median(ratios).toFixed(3)}  (min ${Math.min(...ratios).toFixed(3)}, max ${Math.max(...ratios).toFixed(3)}; target ≤ 1.15)`,
    `  whole \`memharness boot\`    median ${median(samples.map((s) => s.harnessWallMs))} ms wall`,
    `  harness peak RSS           max ${Math.max(...samples.map((s) => s.harnessMaxRssMiB))} MiB (target < 200)`,
  );
}
process.stdout.write(`\n${lines.join('\n')}\n`);
