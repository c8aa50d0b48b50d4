import { consoleNow, describeTarget, physAddrOf, type Injector, type InjectionRecord, type PageTarget } from './injection.ts';

/**
 * A real machine check raised by QEMU (HMP `mce`), the hardware path rather than a software
 * simulation: the guest's #MC handler decodes it and calls memory_failure(). Needs a
 * GenuineIntel guest CPU (the default spec has one). Bank 9, MISC 0x8c (address mode
 * physical, LSB 12) as measured on these hosts.
 */
const MCE_KINDS = {
  'mce-srao': { status: '0xbd000000000000c0', mcgStatus: '0x5', description: 'SRAO (action optional, patrol scrub) machine check from QEMU' },
  'mce-srar': { status: '0xbd80000000000134', mcgStatus: '0x7', description: 'SRAR (action required, data load) machine check from QEMU, RIPV set' },
} as const;

function mceInjector(method: keyof typeof MCE_KINDS): Injector {
  const kind = MCE_KINDS[method];
  return {
    method,
    description: kind.description,
    refuse: () => null,
    async inject({ guest }, target: PageTarget): Promise<InjectionRecord> {
      const address = `0x${physAddrOf(target.pfn).toString(16)}`;
      const command = `mce 0 9 ${kind.status} ${kind.mcgStatus} ${address} 0x8c`;
      // A real MCE disables unpoison and taints the kernel ('M') for the rest of the boot.
      guest.markNotReusable(`took a QEMU machine check (${method}) at ${address}`);
      const startedAtMs = consoleNow(guest);
      let result: InjectionRecord['result'];
      try {
        const said = (await guest.machine.qmp.hmp(command)).trim();
        result = said ? { ok: false, message: `QEMU said: ${said.slice(0, 300)}` } : { ok: true };
      } catch (error) {
        result = { ok: false, message: error instanceof Error ? error.message : String(error) };
      }
      return { method, target: describeTarget(target), action: `(qemu) ${command}`, startedAtMs, endedAtMs: consoleNow(guest), result };
    },
  };
}

export const mceSraoInjector = mceInjector('mce-srao');
export const mceSrarInjector = mceInjector('mce-srar');
