import fs from 'node:fs/promises';
import path from 'node:path';
import { constants as fsConstants } from 'node:fs';
import { z } from 'zod';
import type { Accelerator } from '../vm/qemu-args.ts';

export type AcceleratorRequest = Accelerator | 'auto';

export interface AcceleratorChoice {
  accel: Accelerator;
  /** Why: a person reading a result wants to know whether KVM was tried and what happened. */
  reason: string;
}

export interface KvmProbeResult {
  usable: boolean;
  detail: string;
}

/** Boots a real guest under KVM and says whether it reached init (see kvm-probe.ts). */
export type KvmProbe = () => Promise<KvmProbeResult>;

const cachedProbeSchema = z.object({ bootId: z.string(), qemu: z.string(), usable: z.boolean(), detail: z.string() });

/**
 * KVM is used only where a probe boot really works: on these hosts /dev/kvm exists but a
 * nested setup kills ordinary guests with "emulation failure". The verdict is cached per
 * host boot (and QEMU build), because it cannot change without a reboot or a new QEMU.
 */
export async function chooseAccelerator(options: {
  requested: AcceleratorRequest;
  cacheDir: string;
  qemuVersion: string;
  probe: KvmProbe;
}): Promise<AcceleratorChoice> {
  if (options.requested === 'tcg') return { accel: 'tcg', reason: 'TCG requested' };
  const device = await kvmDeviceStatus();
  if (!device.accessible) {
    if (options.requested === 'kvm') throw new Error(`KVM requested but ${device.detail}`);
    return { accel: 'tcg', reason: `TCG: ${device.detail}` };
  }
  const bootId = (await fs.readFile('/proc/sys/kernel/random/boot_id', 'utf8').catch(() => 'unknown')).trim();
  const cacheFile = path.join(options.cacheDir, 'kvm-probe.json');
  let verdict: KvmProbeResult | null = null;
  try {
    const cached = cachedProbeSchema.parse(JSON.parse(await fs.readFile(cacheFile, 'utf8')));
    if (cached.bootId === bootId && cached.qemu === options.qemuVersion) verdict = cached;
  } catch {
    // No usable cache entry: probe.
  }
  if (!verdict) {
    verdict = await options.probe();
    await fs.mkdir(options.cacheDir, { recursive: true });
    await fs.writeFile(cacheFile, JSON.stringify({ bootId, qemu: options.qemuVersion, ...verdict }, null, 2));
  }
  if (verdict.usable) return { accel: 'kvm', reason: `KVM: ${verdict.detail}` };
  if (options.requested === 'kvm') throw new Error(`KVM requested but a probe boot failed: ${verdict.detail}`);
  return { accel: 'tcg', reason: `TCG: /dev/kvm is present but a probe boot under KVM failed (${verdict.detail})` };
}

async function kvmDeviceStatus(): Promise<{ accessible: boolean; detail: string }> {
  try {
    await fs.access('/dev/kvm', fsConstants.R_OK | fsConstants.W_OK);
    return { accessible: true, detail: '/dev/kvm is accessible' };
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    return { accessible: false, detail: code === 'ENOENT' ? 'no /dev/kvm on this host' : `/dev/kvm is not accessible (${code})` };
  }
}
