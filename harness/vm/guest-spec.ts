import { z } from 'zod';
import { topologyModules, topologyProblems, topologyShape } from './topology.ts';

/**
 * The guest as a test needs it: memory, CPUs, devices, kernel command line. Suites embed this
 * schema, so every field is validated once, at the edge, with a message a person can act on.
 */
const qemuId = z.string().regex(/^[A-Za-z][A-Za-z0-9_.-]{0,63}$/, 'a QEMU id: a letter, then letters, digits, _ . -');
/** Values end up inside QEMU's comma-separated option syntax, where a comma would start a new option. */
const qemuOptionValue = z.union([z.string().regex(/^[^,\s]*$/, 'no commas or spaces'), z.number(), z.boolean()]);

export const qemuDeviceSchema = z.object({
  driver: z.string().regex(/^[a-z0-9-]+$/, 'a QEMU device driver name such as pc-dimm'),
  id: qemuId.optional(),
  props: z.record(z.string().regex(/^[a-z0-9_.-]+$/i), qemuOptionValue).default({}),
});

export const qemuObjectSchema = z.object({
  qomType: z.string().regex(/^[a-z0-9-]+$/, 'a QOM type such as memory-backend-ram'),
  id: qemuId,
  props: z.record(z.string().regex(/^[a-z0-9_.-]+$/i), qemuOptionValue).default({}),
});

export const guestSpecSchema = z
  .object({
    memoryMiB: z.number().int().min(256).max(65_536).default(2048),
    /** One vCPU by default: it boots as fast as two under TCG on these hosts, leaves a host
     *  core to the harness or a second worker, and cannot hit the multi-vCPU TCG code-patching
     *  race (see tcgThreading). Tests that need SMP ask for it. */
    cpus: z.number().int().min(1).max(64).default(1),
    /** A GenuineIntel vendor is what lets the guest recover from QEMU-injected machine checks:
     *  with QEMU's default AMD vendor it panics on any uncorrected error. RDRAND seeds the
     *  guest's crng during boot, so SSH key exchange never waits for entropy (every Intel CPU
     *  since Ivy Bridge has it; TCG emulates it). */
    cpuModel: z.string().regex(/^[A-Za-z0-9_.=,+-]+$/).default('qemu64,vendor=GenuineIntel,+rdrand'),
    machine: z
      .object({
        type: z.string().regex(/^[a-z0-9.-]+$/).default('pc'),
        options: z.record(z.string().regex(/^[a-z0-9_-]+$/i), qemuOptionValue).default({}),
      })
      .default({ type: 'pc', options: {} }),
    hotplug: z
      .object({
        slots: z.number().int().min(1).max(255),
        maxMemoryMiB: z.number().int().min(256),
      })
      .optional(),
    /** NUMA nodes, memory devices at boot, pmem and hotplug policy (see topology.ts). */
    ...topologyShape,
    objects: z.array(qemuObjectSchema).default([]),
    devices: z.array(qemuDeviceSchema).default([]),
    /** Words appended to the kernel command line. */
    cmdline: z.array(z.string().regex(/^\S+$/, 'one command-line word, no spaces')).default([]),
    /** Modules the guest's init loads before it reports ready. */
    modules: z.array(z.string().regex(/^[A-Za-z0-9_-]+$/, 'a module name')).default([]),
    ssh: z.boolean().default(true),
    /** virtio-rng feeds the guest's entropy pool. Off by default since RDRAND seeds the crng
     *  at boot; turn it on with a CPU model without RDRAND, or the first SSH login waits ~1 s. */
    rng: z.boolean().default(false),
    /** ACPI PCI interrupt routing. Off by default (`acpi=noirq`): under TCG each virtio
     *  device's ACPI IRQ setup costs ~90 ms of boot, and memory tests do not depend on it
     *  (DIMM hotplug was checked to work without it). */
    acpiIrqRouting: z.boolean().default(false),
  })
  .superRefine((spec, ctx) => {
    if (spec.hotplug && spec.hotplug.maxMemoryMiB < spec.memoryMiB) {
      ctx.addIssue({
        code: 'custom',
        path: ['hotplug', 'maxMemoryMiB'],
        message: `maxMemoryMiB (${spec.hotplug.maxMemoryMiB}) is below memoryMiB (${spec.memoryMiB}); QEMU needs maxmem >= memory`,
      });
      return;
    }
    for (const problem of topologyProblems(spec)) ctx.addIssue({ code: 'custom', path: problem.path, message: problem.message });
  });

export type GuestSpec = z.infer<typeof guestSpecSchema>;
export type GuestSpecInput = z.input<typeof guestSpecSchema>;
export type QemuDevice = z.infer<typeof qemuDeviceSchema>;
export type QemuObject = z.infer<typeof qemuObjectSchema>;

/** Every module the guest loads at boot: the spec's own and those its memory devices need. */
export function bootModules(spec: GuestSpec): string[] {
  return [...new Set([...spec.modules, ...topologyModules(spec)])];
}

export function defaultGuestSpec(overrides: GuestSpecInput = {}): GuestSpec {
  return guestSpecSchema.parse(overrides);
}
