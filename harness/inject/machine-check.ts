import { setTimeout as sleep } from 'node:timers/promises';
import { spinReplySchema } from '../guest-helper/helper-messages.ts';
import { consoleNow, describeTarget, physAddrOf, type Injector, type InjectionRecord, type PageTarget } from './injection.ts';

/**
 * A real machine check raised by QEMU (HMP `mce`), the hardware path rather than a software
 * simulation: the guest's #MC handler decodes it and calls memory_failure(). Needs a
 * GenuineIntel guest CPU (the default spec has one). Bank 9, MISC 0x8c (physical address
 * mode, LSB 12). `-b` broadcasts the exception to every CPU as real hardware does: without
 * it a multi-CPU guest panics with "Timeout: Not all CPUs entered broadcast exception
 * handler" (recorded on 6.1 and 6.12).
 */
const MCE_KINDS = {
  'mce-srao': { status: '0xbd000000000000c0', mcgStatus: '0x5', description: 'SRAO (action optional, e.g. patrol scrub) machine check from QEMU' },
  'mce-srar': { status: '0xbd80000000000134', mcgStatus: '0x7', description: 'SRAR (action required, data load) machine check from QEMU while the owner consumes the page' },
} as const;

const SPIN_MS = 4_000;

/**
 * The kernel command line that makes an SRAR land in user mode: the last CPU is isolated
 * from the scheduler and from the tick (nohz_full), and device interrupts stay on CPU 0, so
 * while the owner spins there the CPU is almost never in the kernel. Without it, recorded
 * 6.12 guests panicked when the MCE caught CPU 0 in the network stack.
 */
export function srarCmdline(cpus: number): string[] {
  const cpu = cpus - 1;
  return [`isolcpus=nohz,domain,${cpu}`, `nohz_full=${cpu}`, 'irqaffinity=0'];
}

/** The CPU that takes the machine check: for SRAR the isolated one the owner spins on. */
function mceCpu(method: keyof typeof MCE_KINDS, cpus: number): number {
  return method === 'mce-srar' ? cpus - 1 : 0;
}

function mceInjector(method: keyof typeof MCE_KINDS): Injector {
  const kind = MCE_KINDS[method];
  return {
    method,
    description: kind.description,
    // SRAR means "this instruction consumed poison": recorded guests panic ("Data load in
    // unrecoverable area of kernel") when it hits a CPU idling in the kernel, so it is only
    // meaningful while a user process reads the page on the CPU that takes it.
    refuse: (target: PageTarget) =>
      method === 'mce-srar' && !target.owner
        ? `mce-srar needs a process consuming the page (an owned target such as anon); on an idle ${target.kind} page the guest kernel panics`
        : null,
    guestRequirements: method === 'mce-srar' ? (spec) => ({ ...spec, cpus: Math.max(2, spec.cpus), cmdline: [...spec.cmdline, ...srarCmdline(Math.max(2, spec.cpus))] }) : undefined,
    async inject({ guest }, target: PageTarget): Promise<InjectionRecord> {
      const address = `0x${physAddrOf(target.pfn).toString(16)}`;
      const cpu = mceCpu(method, guest.spec.cpus);
      const command = `mce -b ${cpu} 9 ${kind.status} ${kind.mcgStatus} ${address} 0x8c`;
      // A real MCE disables unpoison and taints the kernel ('M') for the rest of the boot.
      guest.markNotReusable(`took a QEMU machine check (${method}) at ${address}`);
      const owner = method === 'mce-srar' ? target.owner : undefined;
      const spinning = owner ? owner.helper.waitForEvent('spinning', 10_000) : undefined;
      const spin = owner ? owner.helper.request(spinReplySchema, ['spin', owner.name, owner.index, SPIN_MS, cpu], SPIN_MS + 30_000) : undefined;
      spin?.catch(() => undefined);
      if (spinning) {
        await spinning;
        await sleep(200);
      }
      const startedAtMs = consoleNow(guest);
      let result: InjectionRecord['result'];
      try {
        const said = (await guest.machine.qmp.hmp(command)).trim();
        result = said ? { ok: false, message: `QEMU said: ${said.slice(0, 300)}` } : { ok: true };
      } catch (error) {
        result = { ok: false, message: error instanceof Error ? error.message : String(error) };
      }
      if (spin) {
        try {
          const reply = await spin;
          result = { ...result, sigbus: reply.sigbus ?? null };
        } catch (error) {
          result = { ...result, message: `${result.message ? `${result.message}; ` : ''}the consuming process: ${error instanceof Error ? error.message : String(error)}` };
        }
      }
      const action = owner ? `(qemu) ${command} while the helper (pid ${owner.helper.pid}) reads the page on CPU ${cpu}` : `(qemu) ${command}`;
      return { method, target: describeTarget(target), action, startedAtMs, endedAtMs: consoleNow(guest), result };
    },
  };
}

export const mceSraoInjector = mceInjector('mce-srao');
export const mceSrarInjector = mceInjector('mce-srar');
