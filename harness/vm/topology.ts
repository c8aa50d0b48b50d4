import path from 'node:path';
import { z } from 'zod';

/**
 * Memory topology of a guest: NUMA nodes, hotplug capacity already in the guest spec, DIMMs
 * and virtio-mem present at boot, persistent memory (NVDIMM, legacy memmap= pmem) and the
 * kernel's memory-hotplug policy. Declared in suites, rendered here into QEMU objects,
 * devices and kernel command-line words, and checked before any boot (what QEMU would
 * refuse, or the kernel would silently ignore, is a pre-flight problem).
 */

const id = z.string().regex(/^[A-Za-z][A-Za-z0-9_-]{0,31}$/, 'an id: a letter, then letters, digits, _ -');
const mib = z.number().int().positive();

export const numaNodeSchema = z.object({
  /** vCPU indexes on this node; a node may have none (memory only). */
  cpus: z.array(z.number().int().min(0)).default([]),
  /** Boot memory on this node; 0 makes a memory-less node (CPUs only, or hotplug target). */
  memoryMiB: z.number().int().min(0),
});

export const dimmSchema = z.object({ id, sizeMiB: mib, node: z.number().int().min(0).default(0) });

export const virtioMemSchema = z.object({
  id,
  node: z.number().int().min(0).default(0),
  /** The device's capacity (its memory backend). */
  maxSizeMiB: mib,
  /** Plugged at boot; resized later with a virtioMem step. */
  requestedMiB: z.number().int().min(0).default(0),
  /** virtio-mem's plug granularity; QEMU's default is the THP size (2 MiB). */
  blockSizeMiB: z.number().int().positive().optional(),
});

export const nvdimmSchema = z.object({
  id,
  sizeMiB: mib,
  node: z.number().int().min(0).default(0),
  /** A namespace label area makes the region labelled (ndctl can then create several namespaces). */
  labelSizeKiB: z.number().int().min(128).optional(),
});

export const legacyPmemSchema = z.object({
  /** memmap=SIZE!OFFSET: RAM from OFFSET to OFFSET+SIZE becomes an e820 pmem range. */
  sizeMiB: mib,
  offsetMiB: z.number().int().min(0),
});

export const memoryPolicySchema = z.object({
  /** movablecore=: boot memory given to ZONE_MOVABLE (offlinable). */
  movablecoreMiB: z.number().int().min(0).optional(),
  /** memhp_default_state=: how hot-added memory comes up. */
  onlineDefault: z.enum(['offline', 'online', 'online_kernel', 'online_movable']).optional(),
  /** memory_hotplug.online_policy= (5.15+): contig-zones or auto-movable. */
  onlinePolicy: z.enum(['contig-zones', 'auto-movable']).optional(),
});

export const topologyShape = {
  numa: z.array(numaNodeSchema).min(1).max(16).optional(),
  dimms: z.array(dimmSchema).default([]),
  virtioMem: z.array(virtioMemSchema).default([]),
  nvdimms: z.array(nvdimmSchema).default([]),
  legacyPmem: z.array(legacyPmemSchema).default([]),
  memoryPolicy: memoryPolicySchema.default({}),
};

export interface TopologyFields {
  memoryMiB: number;
  cpus: number;
  hotplug?: { slots: number; maxMemoryMiB: number } | undefined;
  numa?: Array<z.infer<typeof numaNodeSchema>> | undefined;
  dimms: Array<z.infer<typeof dimmSchema>>;
  virtioMem: Array<z.infer<typeof virtioMemSchema>>;
  nvdimms: Array<z.infer<typeof nvdimmSchema>>;
  legacyPmem: Array<z.infer<typeof legacyPmemSchema>>;
  memoryPolicy: z.infer<typeof memoryPolicySchema>;
}

export interface TopologyProblem {
  path: Array<string | number>;
  message: string;
}

/** Below 4 GiB the pc machine keeps RAM under the PCI hole: guest RAM above 3 GiB moves to 4 GiB+. */
const PC_LOW_RAM_MIB = 3072;

/**
 * What QEMU or the kernel would refuse, said before any boot. Each problem names the field.
 */
export function topologyProblems(spec: TopologyFields): TopologyProblem[] {
  const problems: TopologyProblem[] = [];
  const nodes = spec.numa?.length ?? 1;
  if (spec.numa) {
    const total = spec.numa.reduce((sum, node) => sum + node.memoryMiB, 0);
    if (total !== spec.memoryMiB) problems.push({ path: ['numa'], message: `the nodes' memory adds up to ${total} MiB but memoryMiB is ${spec.memoryMiB}; they must be equal` });
    const seen = new Map<number, number>();
    spec.numa.forEach((node, index) => {
      for (const cpu of node.cpus) {
        if (cpu >= spec.cpus) problems.push({ path: ['numa', index, 'cpus'], message: `vCPU ${cpu} does not exist: the guest has ${spec.cpus} (cpus: ${spec.cpus})` });
        const other = seen.get(cpu);
        if (other !== undefined) problems.push({ path: ['numa', index, 'cpus'], message: `vCPU ${cpu} is already on node ${other}` });
        seen.set(cpu, index);
      }
    });
    if (!spec.numa.some((node) => node.memoryMiB > 0)) problems.push({ path: ['numa'], message: 'at least one node needs boot memory' });
  }
  const devices: Array<{ kind: string; list: Array<{ node: number }> }> = [
    { kind: 'dimms', list: spec.dimms },
    { kind: 'virtioMem', list: spec.virtioMem },
    { kind: 'nvdimms', list: spec.nvdimms },
  ];
  for (const { kind, list } of devices) {
    list.forEach((device, index) => {
      if (device.node >= nodes) problems.push({ path: [kind, index, 'node'], message: `node ${device.node} does not exist: the guest has ${nodes} node(s)${spec.numa ? '' : ' (declare numa: to have more)'}` });
    });
  }
  const ids = [...spec.dimms, ...spec.virtioMem, ...spec.nvdimms].map((device) => device.id);
  const duplicate = ids.find((value, index) => ids.indexOf(value) !== index);
  if (duplicate) problems.push({ path: ['dimms'], message: `device id '${duplicate}' is used twice` });

  const slotted = spec.dimms.length + spec.nvdimms.length;
  const extraMiB = spec.dimms.reduce((sum, d) => sum + d.sizeMiB, 0) + spec.nvdimms.reduce((sum, d) => sum + d.sizeMiB, 0) + spec.virtioMem.reduce((sum, d) => sum + d.maxSizeMiB, 0);
  if (slotted + spec.virtioMem.length > 0 && !spec.hotplug) {
    problems.push({ path: ['hotplug'], message: 'DIMMs, NVDIMMs and virtio-mem need hotplug capacity: add hotplug: { slots, maxMemoryMiB }' });
  }
  if (spec.hotplug) {
    if (slotted > spec.hotplug.slots) problems.push({ path: ['hotplug', 'slots'], message: `${slotted} DIMM/NVDIMM device(s) at boot but only ${spec.hotplug.slots} slot(s)` });
    if (spec.memoryMiB + extraMiB > spec.hotplug.maxMemoryMiB) {
      problems.push({ path: ['hotplug', 'maxMemoryMiB'], message: `boot memory ${spec.memoryMiB} MiB plus devices ${extraMiB} MiB exceed maxMemoryMiB ${spec.hotplug.maxMemoryMiB}` });
    }
  }
  spec.virtioMem.forEach((device, index) => {
    if (device.requestedMiB > device.maxSizeMiB) problems.push({ path: ['virtioMem', index, 'requestedMiB'], message: `requestedMiB ${device.requestedMiB} is above maxSizeMiB ${device.maxSizeMiB}` });
    const block = device.blockSizeMiB ?? 2;
    if (device.requestedMiB % block !== 0 || device.maxSizeMiB % block !== 0) problems.push({ path: ['virtioMem', index], message: `sizes must be multiples of the block size (${block} MiB)` });
  });
  const lowRam = Math.min(spec.memoryMiB, PC_LOW_RAM_MIB);
  spec.legacyPmem.forEach((range, index) => {
    // Below the PCI hole the physical address is the RAM offset; above it the layout is the machine's.
    if (range.offsetMiB + range.sizeMiB > lowRam) {
      problems.push({ path: ['legacyPmem', index], message: `memmap=${range.sizeMiB}M!${range.offsetMiB}M ends at ${range.offsetMiB + range.sizeMiB} MiB, beyond the guest's low RAM (${lowRam} MiB): the kernel would ignore it` });
    }
    if (range.offsetMiB < 16) problems.push({ path: ['legacyPmem', index, 'offsetMiB'], message: 'the first 16 MiB hold the kernel and firmware: start the range above them' });
  });
  const movable = spec.memoryPolicy.movablecoreMiB;
  if (movable !== undefined && movable >= spec.memoryMiB) problems.push({ path: ['memoryPolicy', 'movablecoreMiB'], message: `movablecoreMiB ${movable} leaves no boot memory for the kernel (memoryMiB ${spec.memoryMiB})` });
  return problems;
}

export interface TopologyQemuArgs {
  /** -object values. */
  objects: string[];
  /** -numa values. */
  numa: string[];
  /** -device values. */
  devices: string[];
  machineOptions: Record<string, string>;
}

/** The backing file of an NVDIMM: per machine, so no two guests share persistent memory. */
export function nvdimmBackingFile(machineDir: string, nvdimmId: string): string {
  return path.join(machineDir, `nvdimm-${nvdimmId}.img`);
}

/**
 * Boot RAM kept in files, for copy-on-write snapshots (vm/snapshot.ts): the template guest maps
 * them shared (its RAM is the file), every restore maps them private (it reads the template's
 * pages and copies only what it writes). Without it boot RAM is anonymous memory.
 */
export interface RamFiles {
  dir: string;
  share: boolean;
}

/** One boot-RAM backend: anonymous, or a file in `ram.dir` named after its id. */
export function ramBackend(id: string, sizeMiB: number, ram: RamFiles | undefined): string {
  if (!ram) return `memory-backend-ram,id=${id},size=${sizeMiB}M`;
  return `memory-backend-file,id=${id},size=${sizeMiB}M,mem-path=${path.join(ram.dir, id)},share=${ram.share ? 'on' : 'off'}`;
}

export function topologyQemuArgs(spec: TopologyFields, machineDir: string, ram?: RamFiles): TopologyQemuArgs {
  const out: TopologyQemuArgs = { objects: [], numa: [], devices: [], machineOptions: {} };
  if (spec.numa) {
    spec.numa.forEach((node, index) => {
      const cpus = node.cpus.length > 0 ? `,cpus=${node.cpus.join(',cpus=')}` : '';
      if (node.memoryMiB > 0) {
        out.objects.push(ramBackend(`ram-node${index}`, node.memoryMiB, ram));
        out.numa.push(`node,nodeid=${index}${cpus},memdev=ram-node${index}`);
      } else {
        out.numa.push(`node,nodeid=${index}${cpus}`);
      }
    });
  }
  const nodeProp = (node: number) => (spec.numa ? `,node=${node}` : '');
  for (const dimm of spec.dimms) {
    out.objects.push(`memory-backend-ram,id=mem-${dimm.id},size=${dimm.sizeMiB}M`);
    out.devices.push(`pc-dimm,id=${dimm.id},memdev=mem-${dimm.id}${nodeProp(dimm.node)}`);
  }
  for (const device of spec.virtioMem) {
    out.objects.push(`memory-backend-ram,id=mem-${device.id},size=${device.maxSizeMiB}M`);
    out.devices.push(`virtio-mem-pci,id=${device.id},memdev=mem-${device.id},node=${device.node},requested-size=${device.requestedMiB}M${device.blockSizeMiB ? `,block-size=${device.blockSizeMiB}M` : ''}`);
  }
  for (const nvdimm of spec.nvdimms) {
    out.objects.push(`memory-backend-file,id=mem-${nvdimm.id},share=on,mem-path=${nvdimmBackingFile(machineDir, nvdimm.id)},size=${nvdimm.sizeMiB}M`);
    out.devices.push(`nvdimm,id=${nvdimm.id},memdev=mem-${nvdimm.id}${nodeProp(nvdimm.node)}${nvdimm.labelSizeKiB ? `,label-size=${nvdimm.labelSizeKiB}K` : ''}`);
  }
  if (spec.nvdimms.length > 0) out.machineOptions['nvdimm'] = 'on';
  return out;
}

/** Kernel command-line words: legacy pmem ranges and the hotplug policy. */
export function topologyCmdline(spec: TopologyFields): string[] {
  const words = spec.legacyPmem.map((range) => `memmap=${range.sizeMiB}M!${range.offsetMiB}M`);
  const policy = spec.memoryPolicy;
  if (policy.movablecoreMiB !== undefined) words.push(`movablecore=${policy.movablecoreMiB}M`);
  if (policy.onlineDefault) words.push(`memhp_default_state=${policy.onlineDefault}`);
  if (policy.onlinePolicy) words.push(`memory_hotplug.online_policy=${policy.onlinePolicy}`);
  return words;
}

/** PMEM_MODULES: namespaces (nd_pmem), devdax (dax_pmem, device_dax) and devdax as RAM (kmem). */
const PMEM_MODULES = ['nd_pmem', 'dax_pmem', 'device_dax', 'kmem'];

/** Modules the guest needs for its memory devices, loaded at boot before ready. */
export function topologyModules(spec: TopologyFields): string[] {
  const modules: string[] = [];
  if (spec.virtioMem.length > 0) modules.push('virtio_mem');
  if (spec.nvdimms.length > 0) modules.push('nfit', ...PMEM_MODULES);
  if (spec.legacyPmem.length > 0) modules.push('nd_e820', ...PMEM_MODULES);
  return [...new Set(modules)];
}

/**
 * Why a snapshot cannot stand for a fresh boot of this guest, or null. An NVDIMM's content
 * lives in its backing file, outside the migration stream: every restore of one snapshot
 * would share (and mix) one persistent memory, so such guests boot per case.
 */
export function snapshotBlocker(spec: TopologyFields): string | null {
  if (spec.nvdimms.length > 0) return 'the guest has NVDIMMs, whose content lives in backing files outside the snapshot: one fresh boot per case';
  return null;
}
