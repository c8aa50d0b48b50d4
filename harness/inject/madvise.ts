import { consoleNow, describeTarget, type Injector, type InjectionRecord, type PageTarget } from './injection.ts';

/**
 * madvise(MADV_HWPOISON / MADV_SOFT_OFFLINE) by the page's owner, the helper. The helper arms
 * its SIGBUS handler first: 6.12 signals inside madvise(MADV_HWPOISON), 6.1 on next access.
 */
function madviseInjector(method: 'madvise-hwpoison' | 'madvise-soft-offline', advice: 'hwpoison' | 'soft-offline', flag: string): Injector {
  return {
    method,
    description: `madvise(${flag}) on a page the guest helper maps`,
    refuse: (target: PageTarget) => (target.owner ? null : `${method} needs a page mapped by the guest helper; a ${target.kind} page has no owner to call madvise`),
    async inject({ guest }, target): Promise<InjectionRecord> {
      const owner = target.owner!;
      const startedAtMs = consoleNow(guest);
      const reply = await owner.helper.madvise(owner.name, owner.index, advice);
      return {
        method,
        target: describeTarget(target),
        action: `madvise(0x${owner.vaddr.toString(16)}, 4096, ${flag}) in the helper (pid ${owner.helper.pid})`,
        startedAtMs,
        endedAtMs: consoleNow(guest),
        result: { ok: reply.ret === 0, errno: reply.errnoName, message: reply.error, sigbus: reply.sigbus ?? null },
      };
    },
  };
}

export const madviseHwpoisonInjector = madviseInjector('madvise-hwpoison', 'hwpoison', 'MADV_HWPOISON');
export const madviseSoftOfflineInjector = madviseInjector('madvise-soft-offline', 'soft-offline', 'MADV_SOFT_OFFLINE');
