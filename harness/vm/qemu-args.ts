import path from 'node:path';
import type { GuestSpec, QemuDevice, QemuObject } from './guest-spec.ts';
import { ramBackend, topologyQemuArgs, type RamFiles } from './topology.ts';

export type Accelerator = 'kvm' | 'tcg';

/** What a particular boot adds to the spec: files, sockets, ports. */
export interface QemuRuntime {
  name: string;
  accel: Accelerator;
  kernelImage: string;
  initrd: string;
  /** Full kernel command line words (console, init parameters, spec.cmdline). */
  kernelCmdline: string[];
  qmpSocket: string;
  /** Host port forwarded to the guest's port 22; null when the guest has no network. */
  sshPort: number | null;
  /** Restore from a saved migration stream instead of booting. */
  incoming?: string;
  /** Boot RAM in files (copy-on-write snapshots): shared by the template, private in a restore. */
  ram?: RamFiles;
}

function renderOptions(props: Record<string, string | number | boolean>): string {
  return Object.entries(props)
    .map(([key, value]) => `,${key}=${typeof value === 'boolean' ? (value ? 'on' : 'off') : String(value)}`)
    .join('');
}

function renderDevice(device: QemuDevice): string {
  return `${device.driver}${device.id ? `,id=${device.id}` : ''}${renderOptions(device.props)}`;
}

function renderObject(object: QemuObject): string {
  return `${object.qomType},id=${object.id}${renderOptions(object.props)}`;
}

/**
 * Multi-threaded TCG runs each vCPU on its own host thread, but it does not keep other
 * vCPUs from executing stale translations while the kernel patches its own code (static
 * keys via text_poke_bp's int3): a 2-vCPU 6.12 guest oopsed at boot with "Oops: int3" in
 * sched_clock_cpu. Round-robin TCG has no such race, so SMP guests use it; a single vCPU
 * keeps the faster multi-threaded mode (its I/O thread runs apart).
 */
export function tcgThreading(cpus: number): 'single' | 'multi' {
  return cpus > 1 ? 'single' : 'multi';
}

/**
 * The whole QEMU command line (without the binary). `-nodefaults` keeps the device set exactly
 * what is listed here, which snapshot restore depends on; `-no-reboot` turns a guest panic
 * (panic=-1) into a QEMU exit the harness sees at once.
 */
export function renderQemuArgs(spec: GuestSpec, runtime: QemuRuntime): string[] {
  const memory = spec.hotplug
    ? `${spec.memoryMiB}M,slots=${spec.hotplug.slots},maxmem=${spec.hotplug.maxMemoryMiB}M`
    : `${spec.memoryMiB}M`;
  // The machine directory holds what belongs to this one QEMU (its QMP socket, NVDIMM backing files).
  const topology = topologyQemuArgs(spec, path.dirname(runtime.qmpSocket), runtime.ram);
  // Without NUMA nodes the boot RAM is one backend the machine names; with them, each node's.
  const ramOptions: Record<string, string> = runtime.ram && !spec.numa ? { 'memory-backend': 'ram0' } : {};
  const args = [
    '-name', runtime.name,
    '-machine', `${spec.machine.type}${renderOptions({ ...topology.machineOptions, ...ramOptions, ...spec.machine.options })}`,
    '-accel', runtime.accel === 'kvm' ? 'kvm' : `tcg,thread=${tcgThreading(spec.cpus)}`,
    '-cpu', spec.cpuModel,
    '-smp', String(spec.cpus),
    '-m', memory,
    '-nodefaults', '-no-user-config', '-display', 'none', '-no-reboot',
    '-kernel', runtime.kernelImage,
    '-initrd', runtime.initrd,
    '-append', runtime.kernelCmdline.join(' '),
    // signal=off: a ^C typed into the console must reach the guest, not kill QEMU.
    '-chardev', 'stdio,id=console,signal=off',
    '-serial', 'chardev:console',
    '-qmp', `unix:${runtime.qmpSocket},server=on,wait=off`,
  ];
  if (runtime.sshPort !== null) {
    args.push(
      '-netdev', `user,id=net0,hostfwd=tcp:127.0.0.1:${runtime.sshPort}-:22`,
      '-device', 'virtio-net-pci,netdev=net0',
    );
  }
  if (spec.rng) args.push('-device', 'virtio-rng-pci');
  if (runtime.ram && !spec.numa) args.push('-object', ramBackend('ram0', spec.memoryMiB, runtime.ram));
  for (const object of topology.objects) args.push('-object', object);
  for (const node of topology.numa) args.push('-numa', node);
  for (const device of topology.devices) args.push('-device', device);
  for (const object of spec.objects) args.push('-object', renderObject(object));
  for (const device of spec.devices) args.push('-device', renderDevice(device));
  if (runtime.incoming) args.push('-incoming', runtime.incoming);
  return args;
}
