import { TAINT_FLAGS, type TaintFlag } from '../kernel-log/crash/taint.ts';
import { INJECTION_METHODS, type InjectionMethod } from './injection.ts';
import { Y, YM, type Need } from './kernel-needs.ts';

/**
 * What an injection method is, apart from how it injects (the injectors, injectors.ts): the
 * one declaration lint, implied requirements, boot modules, the allowed new taint, run
 * planning, the injection observer and the docs read.
 */
export interface MethodTraits {
  /**
   * What the kernel is made to do to the page: `hard-poison` is memory_failure() (the page is
   * lost, its owner may be signalled), `soft-offline` is soft_offline_page() (the data migrates
   * to a new page and the old frame is poisoned, the owner notices nothing), `unpoison` is
   * unpoison_memory().
   */
  action: 'hard-poison' | 'soft-offline' | 'unpoison';
  /** How the method names the page: by PFN (debugfs), by physical address (sysfs, QEMU's mce), or by the owner's virtual address (madvise). */
  takes: 'pfn' | 'physical-address' | 'owner-vaddr';
  /**
   * What it needs of the page's owner, the guest helper:
   * - `none`: nothing, any page will do;
   * - `calls`: the owner makes the call (madvise(2)), so lint refuses a kind nobody maps;
   * - `consumes`: the owner must be reading the page, on the guest's isolated last CPU, when the
   *   machine check is raised (SRAR): lint wants that CPU (srarCmdline); a page nobody maps is
   *   refused by the injector when the step runs (an infra error), not by lint.
   */
  owner: 'none' | 'calls' | 'consumes';
  /** What it needs from the kernel (implied requirements: without them the case SKIPs). */
  needs: Need;
  /** Modules the guest loads at boot for it (the injector modprobes them; the image must carry them). */
  bootModules: readonly string[];
  /**
   * A real x86 machine check raised by QEMU: it needs a GenuineIntel guest CPU (with an AMD one
   * the guest panics), and it leaves the guest unfit for a snapshot another case restores
   * (tainted M, unpoison disabled for the rest of the boot).
   */
  machineCheck: boolean;
  /**
   * `asynchronous`: the kernel's verdict (memory_failure()) comes later, from a work queue, after
   * the injecting action has returned (SRAO: the #MC handler only logs it); an observer waits
   * for the verdict before touching the page, or it races it. `synchronous`: it is in by the
   * time the action returns (or, for SRAR, by the time the consuming read returns).
   */
  verdict: 'synchronous' | 'asynchronous';
  /** Taint flags (TAINT_FLAGS names) the kernel adds when this method does what it should: allowed as new taint in a case that injects with it. */
  mayTaint: readonly string[];
}

const HWPOISON_INJECT: Need = { config: { CONFIG_MEMORY_FAILURE: Y, CONFIG_HWPOISON_INJECT: YM, CONFIG_DEBUG_FS: Y } };
const MEMORY_FAILURE: Need = { config: { CONFIG_MEMORY_FAILURE: Y } };
const MACHINE_CHECK: Need = { config: { CONFIG_MEMORY_FAILURE: Y, CONFIG_X86_MCE: Y, CONFIG_X86_MCE_INTEL: Y } };

/** The module behind debugfs's hwpoison files (corrupt-pfn, unpoison-pfn, corrupt-filter-*). */
export const HWPOISON_INJECT_MODULE = 'hwpoison_inject';

const PLAIN = { owner: 'none', bootModules: [], machineCheck: false, verdict: 'synchronous', mayTaint: [] } as const;

export const METHOD_TRAITS: Readonly<Record<InjectionMethod, MethodTraits>> = {
  debugfs: { ...PLAIN, action: 'hard-poison', takes: 'pfn', needs: HWPOISON_INJECT, bootModules: [HWPOISON_INJECT_MODULE] },
  'debugfs-unpoison': { ...PLAIN, action: 'unpoison', takes: 'pfn', needs: HWPOISON_INJECT, bootModules: [HWPOISON_INJECT_MODULE] },
  'madvise-hwpoison': { ...PLAIN, action: 'hard-poison', takes: 'owner-vaddr', owner: 'calls', needs: MEMORY_FAILURE },
  'madvise-soft-offline': { ...PLAIN, action: 'soft-offline', takes: 'owner-vaddr', owner: 'calls', needs: MEMORY_FAILURE },
  'sysfs-soft-offline': { ...PLAIN, action: 'soft-offline', takes: 'physical-address', needs: MEMORY_FAILURE },
  'sysfs-hard-offline': { ...PLAIN, action: 'hard-poison', takes: 'physical-address', needs: MEMORY_FAILURE },
  'mce-srao': { ...PLAIN, action: 'hard-poison', takes: 'physical-address', needs: MACHINE_CHECK, machineCheck: true, verdict: 'asynchronous', mayTaint: ['MACHINE_CHECK'] },
  'mce-srar': { ...PLAIN, action: 'hard-poison', takes: 'physical-address', owner: 'consumes', needs: MACHINE_CHECK, machineCheck: true, mayTaint: ['MACHINE_CHECK'] },
};

/** The methods whose traits satisfy `test`, in INJECTION_METHODS order. */
export function methodsWhere(test: (traits: MethodTraits, method: InjectionMethod) => boolean): InjectionMethod[] {
  return INJECTION_METHODS.filter((method) => test(METHOD_TRAITS[method], method));
}

/** The taint flags a method may add (its `mayTaint`, as TAINT_FLAGS entries). */
export function taintMethodMayAdd(method: InjectionMethod): TaintFlag[] {
  return METHOD_TRAITS[method].mayTaint.map((name) => {
    const flag = TAINT_FLAGS.find((candidate) => candidate.name === name);
    if (!flag) throw new Error(`internal: ${method} may add taint ${name}, which TAINT_FLAGS does not know`);
    return flag;
  });
}
