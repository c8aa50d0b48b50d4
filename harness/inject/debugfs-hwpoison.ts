import type { Guest } from '../vm/guest.ts';
import { writeGuestFile } from './guest-write.ts';
import { consoleNow, describeTarget, pfnHex, type Injector, type InjectionRecord, type PageTarget } from './injection.ts';

const HWPOISON_DIR = '/sys/kernel/debug/hwpoison';

/** hwpoison_inject is a module on Debian kernels; loading it twice is harmless. */
export async function ensureHwpoisonInject(guest: Guest): Promise<void> {
  const result = await guest.exec(`[ -e ${HWPOISON_DIR}/corrupt-pfn ] || modprobe hwpoison_inject`);
  if (result.exitCode !== 0) throw new Error(`cannot load hwpoison_inject: ${result.stderr.trim()}`);
}

function debugfsInjector(method: 'debugfs' | 'debugfs-unpoison', file: string, description: string): Injector {
  return {
    method,
    description,
    refuse: () => null,
    async inject({ guest }, target: PageTarget): Promise<InjectionRecord> {
      await ensureHwpoisonInject(guest);
      const startedAtMs = consoleNow(guest);
      const result = await writeGuestFile(guest, `${HWPOISON_DIR}/${file}`, pfnHex(target.pfn));
      return { method, target: describeTarget(target), action: `echo ${pfnHex(target.pfn)} > ${HWPOISON_DIR}/${file}`, startedAtMs, endedAtMs: consoleNow(guest), result };
    },
  };
}

export const debugfsCorruptInjector = debugfsInjector('debugfs', 'corrupt-pfn', 'memory_failure() on a PFN through hwpoison_inject (debugfs corrupt-pfn)');
export const debugfsUnpoisonInjector = debugfsInjector('debugfs-unpoison', 'unpoison-pfn', 'unpoison_memory() through hwpoison_inject (debugfs unpoison-pfn)');

/**
 * The corrupt-filter-* knobs restrict which pages corrupt-pfn really poisons (by device,
 * memcg, page flags); `enable` turns filtering on. Unset fields are left as they are.
 */
export interface CorruptFilter {
  enable?: boolean;
  devMajor?: number;
  devMinor?: number;
  memcg?: bigint;
  flagsMask?: bigint;
  flagsValue?: bigint;
}

export async function setCorruptFilter(guest: Guest, filter: CorruptFilter): Promise<void> {
  await ensureHwpoisonInject(guest);
  const writes: [string, string][] = [];
  if (filter.devMajor !== undefined) writes.push(['corrupt-filter-dev-major', String(filter.devMajor)]);
  if (filter.devMinor !== undefined) writes.push(['corrupt-filter-dev-minor', String(filter.devMinor)]);
  if (filter.memcg !== undefined) writes.push(['corrupt-filter-memcg', String(filter.memcg)]);
  if (filter.flagsMask !== undefined) writes.push(['corrupt-filter-flags-mask', `0x${filter.flagsMask.toString(16)}`]);
  if (filter.flagsValue !== undefined) writes.push(['corrupt-filter-flags-value', `0x${filter.flagsValue.toString(16)}`]);
  if (filter.enable !== undefined) writes.push(['corrupt-filter-enable', filter.enable ? '1' : '0']);
  for (const [file, value] of writes) {
    const result = await writeGuestFile(guest, `${HWPOISON_DIR}/${file}`, value);
    if (!result.ok) throw new Error(`cannot set ${file}=${value}: ${result.errno ?? ''} ${result.message ?? ''}`.trim());
  }
}
