import type { HelperSession } from '../guest-helper/helper-session.ts';
import type { SigbusInfo } from '../guest-helper/helper-messages.ts';
import type { Guest } from '../vm/guest.ts';
import type { GuestSpec } from '../vm/guest-spec.ts';

export const INJECTION_METHODS = [
  'debugfs',
  'debugfs-unpoison',
  'madvise-hwpoison',
  'madvise-soft-offline',
  'sysfs-soft-offline',
  'sysfs-hard-offline',
  'mce-srao',
  'mce-srar',
] as const;
export type InjectionMethod = (typeof INJECTION_METHODS)[number];

/** A page to inject into: a PFN, and where the helper owns it, its mapping. */
export interface PageTarget {
  /** What kind of page it is (anon, pagecache-dirty, free, hugetlb, ...): for records only. */
  kind: string;
  pfn: bigint;
  /** Set when the page belongs to the guest helper (needed by the madvise methods). */
  owner?: { helper: HelperSession; name: string; index: number; vaddr: bigint };
}

export interface InjectionContext {
  guest: Guest;
}

/** The immediate outcome of the injecting action itself (not what the kernel did after). */
export interface InjectionResult {
  ok: boolean;
  /** errno name of the failing write/syscall, e.g. "EBUSY", "EIO", "EHWPOISON". */
  errno?: string;
  message?: string;
  /** SIGBUS delivered to the helper during the action (6.12: inside madvise(MADV_HWPOISON)). */
  sigbus?: SigbusInfo | null;
}

export interface InjectionRecord {
  method: InjectionMethod;
  /** pfn and physAddr: the page the action hit (madvise: the one mapped when it was called). */
  target: { kind: string; pfn: string; physAddr: string; vaddr?: string; preparedPfn?: string };
  /** Exactly what was done, in words a kernel developer would type. */
  action: string;
  /** Milliseconds since QEMU start, the console log's time base. */
  startedAtMs: number;
  endedAtMs: number;
  result: InjectionResult;
}

export interface Injector {
  method: InjectionMethod;
  description: string;
  /** Why this method cannot hit that target, or null when it can. */
  refuse(target: PageTarget): string | null;
  inject(context: InjectionContext, target: PageTarget): Promise<InjectionRecord>;
  /** How the guest must be set up for this method to be meaningful (e.g. SRAR's isolated CPU). */
  guestRequirements?: ((spec: GuestSpec) => GuestSpec) | undefined;
}

export function pfnHex(pfn: bigint): string {
  return `0x${pfn.toString(16)}`;
}

export function physAddrOf(pfn: bigint, offset = 0n): bigint {
  return (pfn << 12n) + offset;
}

/** Time on the guest's console timeline (ms since QEMU start). */
export function consoleNow(guest: Guest): number {
  return Date.now() - guest.machine.startedAt;
}

export function describeTarget(target: PageTarget): InjectionRecord['target'] {
  return {
    kind: target.kind,
    pfn: pfnHex(target.pfn),
    physAddr: `0x${physAddrOf(target.pfn).toString(16)}`,
    ...(target.owner ? { vaddr: `0x${target.owner.vaddr.toString(16)}` } : {}),
  };
}
