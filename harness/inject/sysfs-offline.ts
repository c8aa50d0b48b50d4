import { writeGuestFile } from './guest-write.ts';
import { consoleNow, describeTarget, physAddrOf, type Injector, type InjectionRecord, type PageTarget } from './injection.ts';

/** The sysfs files take a PHYSICAL ADDRESS, where debugfs takes a PFN. */
function sysfsInjector(method: 'sysfs-soft-offline' | 'sysfs-hard-offline', file: string, description: string): Injector {
  return {
    method,
    description,
    refuse: () => null,
    async inject({ guest }, target: PageTarget): Promise<InjectionRecord> {
      const address = `0x${physAddrOf(target.pfn).toString(16)}`;
      const path = `/sys/devices/system/memory/${file}`;
      const startedAtMs = consoleNow(guest);
      const result = await writeGuestFile(guest, path, address);
      return { method, target: describeTarget(target), action: `echo ${address} > ${path}`, startedAtMs, endedAtMs: consoleNow(guest), result };
    },
  };
}

export const sysfsSoftOfflineInjector = sysfsInjector('sysfs-soft-offline', 'soft_offline_page', 'soft_offline_page() through sysfs (physical address)');
export const sysfsHardOfflineInjector = sysfsInjector('sysfs-hard-offline', 'hard_offline_page', 'memory_failure() through sysfs hard_offline_page (physical address)');
