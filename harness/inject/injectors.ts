import { debugfsCorruptInjector, debugfsUnpoisonInjector } from './debugfs-hwpoison.ts';
import type { InjectionMethod, Injector } from './injection.ts';
import { mceSraoInjector, mceSrarInjector } from './machine-check.ts';
import { madviseHwpoisonInjector, madviseSoftOfflineInjector } from './madvise.ts';
import { sysfsHardOfflineInjector, sysfsSoftOfflineInjector } from './sysfs-offline.ts';

export const INJECTORS: Readonly<Record<InjectionMethod, Injector>> = {
  debugfs: debugfsCorruptInjector,
  'debugfs-unpoison': debugfsUnpoisonInjector,
  'madvise-hwpoison': madviseHwpoisonInjector,
  'madvise-soft-offline': madviseSoftOfflineInjector,
  'sysfs-soft-offline': sysfsSoftOfflineInjector,
  'sysfs-hard-offline': sysfsHardOfflineInjector,
  'mce-srao': mceSraoInjector,
  'mce-srar': mceSrarInjector,
};
