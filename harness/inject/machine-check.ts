import { setTimeout as sleep } from 'node:timers/promises';
import { spinReplySchema } from '../guest-helper/helper-messages.ts';
import type { QmpClient } from '../vm/qmp-client.ts';
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

/** How long SRAR waits for the consuming CPU to be caught in user mode (see injectInUserMode). */
const USER_MODE_TRIES = 60;
const USER_MODE_RETRY_MS = 15;

/** The privilege level (CPL) of `cpu` in HMP `info registers -a` output, or null if it is not there. */
export function cplOfCpu(registers: string, cpu: number): number | null {
  const sections = registers.split(/^CPU#(\d+)\s*$/m);
  // split with a capture group: [before, index, body, index, body, ...]
  for (let i = 1; i + 1 < sections.length; i += 2) {
    if (Number(sections[i]) !== cpu) continue;
    const cpl = /\bCPL=(\d)\b/.exec(sections[i + 1]!);
    return cpl ? Number(cpl[1]) : null;
  }
  return null;
}

/**
 * Queues the SRAR machine check only while `cpu` runs in user mode. Real hardware raises an
 * SRAR on the load that consumes the poison; QEMU raises it wherever the vCPU happens to be.
 * Even on the isolated nohz_full CPU the owner spins on, the CPU is now and then in an
 * interrupt (recorded on 6.1: RIP tick_nohz_irq_exit), and the kernel then rightly panics
 * "Data load in unrecoverable area of kernel": 1 SRAR in 27 on 6.1 in a row, a harness
 * artefact rather than a kernel verdict. So the VM is stopped, the CPU's CPL read, and the
 * MCE queued only at CPL 3; the vCPU takes it on its first instruction after `cont`, in the
 * owner's read loop. Otherwise the VM runs on briefly and it tries again.
 */
async function injectInUserMode(qmp: QmpClient, cpu: number, command: string): Promise<{ said: string; tries: number } | { notUserMode: string }> {
  let last = 'unknown';
  for (let attempt = 0; attempt < USER_MODE_TRIES; attempt++) {
    await qmp.execute('stop');
    try {
      const cpl = cplOfCpu(await qmp.hmp('info registers -a'), cpu);
      last = cpl === null ? 'not shown' : String(cpl);
      if (cpl === 3) return { said: (await qmp.hmp(command)).trim(), tries: attempt + 1 };
    } finally {
      await qmp.execute('cont');
    }
    await sleep(USER_MODE_RETRY_MS);
  }
  return { notUserMode: `CPU ${cpu} was never caught in user mode in ${USER_MODE_TRIES} tries (last CPL: ${last}); no machine check raised` };
}

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
      guest.markUnfitForSnapshot(`took a QEMU machine check (${method}) at ${address}`);
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
      let caught = '';
      try {
        let said: string;
        if (owner) {
          const outcome = await injectInUserMode(guest.machine.qmp, cpu, command);
          if ('notUserMode' in outcome) throw new Error(outcome.notUserMode);
          said = outcome.said;
          caught = `, raised while the VM was stopped with CPU ${cpu} in user mode (try ${outcome.tries})`;
        } else {
          said = (await guest.machine.qmp.hmp(command)).trim();
        }
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
      const action = owner ? `(qemu) ${command} while the helper (pid ${owner.helper.pid}) reads the page on CPU ${cpu}${caught}` : `(qemu) ${command}`;
      return { method, target: describeTarget(target), action, startedAtMs, endedAtMs: consoleNow(guest), result };
    },
  };
}

export const mceSraoInjector = mceInjector('mce-srao');
export const mceSrarInjector = mceInjector('mce-srar');
