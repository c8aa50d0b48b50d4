import { describe, expect, it } from 'vitest';
import { defaultGuestSpec, guestSpecSchema } from './guest-spec.ts';
import { renderQemuArgs, type QemuRuntime } from './qemu-args.ts';

const runtime: QemuRuntime = {
  name: 'memharness-test',
  accel: 'tcg',
  kernelImage: '/cache/vmlinux',
  initrd: '/run/initrd.img',
  kernelCmdline: ['console=ttyS0', 'panic=-1'],
  qmpSocket: '/run/qmp.sock',
  sshPort: 40022,
};

function valueOf(args: string[], flag: string): string[] {
  return args.flatMap((arg, i) => (arg === flag ? [args[i + 1] ?? ''] : []));
}

describe('renderQemuArgs', () => {
  it('binds the SSH forward to loopback only', () => {
    const args = renderQemuArgs(defaultGuestSpec(), runtime);
    expect(valueOf(args, '-netdev')).toEqual(['user,id=net0,hostfwd=tcp:127.0.0.1:40022-:22']);
  });

  it('renders memory hotplug capacity, devices and objects', () => {
    const spec = defaultGuestSpec({
      memoryMiB: 1024,
      hotplug: { slots: 4, maxMemoryMiB: 4096 },
      objects: [{ qomType: 'memory-backend-ram', id: 'mem1', props: { size: '512M' } }],
      devices: [{ driver: 'pc-dimm', id: 'dimm1', props: { memdev: 'mem1' } }],
      machine: { type: 'pc', options: { nvdimm: true } },
    });
    const args = renderQemuArgs(spec, runtime);
    expect(valueOf(args, '-m')).toEqual(['1024M,slots=4,maxmem=4096M']);
    expect(valueOf(args, '-object')).toEqual(['memory-backend-ram,id=mem1,size=512M']);
    expect(valueOf(args, '-device')).toContain('pc-dimm,id=dimm1,memdev=mem1');
    expect(valueOf(args, '-machine')).toEqual(['pc,nvdimm=on']);
  });

  it('uses an Intel CPU vendor by default so QEMU-injected machine checks are recoverable', () => {
    expect(valueOf(renderQemuArgs(defaultGuestSpec(), runtime), '-cpu')).toEqual(['qemu64,vendor=GenuineIntel,+rdrand']);
  });

  it('turns panics into exits and keeps the device set exactly as listed', () => {
    const args = renderQemuArgs(defaultGuestSpec({ rng: false }), { ...runtime, sshPort: null });
    expect(args).toContain('-no-reboot');
    expect(args).toContain('-nodefaults');
    expect(valueOf(args, '-device')).toEqual([]);
    expect(valueOf(args, '-netdev')).toEqual([]);
  });

  it('runs SMP guests on round-robin TCG, single-vCPU guests multi-threaded, KVM as KVM', () => {
    expect(valueOf(renderQemuArgs(defaultGuestSpec({ cpus: 2 }), runtime), '-accel')).toEqual(['tcg,thread=single']);
    expect(valueOf(renderQemuArgs(defaultGuestSpec(), runtime), '-accel')).toEqual(['tcg,thread=multi']);
    expect(valueOf(renderQemuArgs(defaultGuestSpec({ cpus: 2 }), { ...runtime, accel: 'kvm' }), '-accel')).toEqual(['kvm']);
  });

  it('keeps the boot RAM in a file for copy-on-write snapshots: shared in the template, private in a restore', () => {
    const template = renderQemuArgs(defaultGuestSpec({ memoryMiB: 1024 }), { ...runtime, ram: { dir: '/dev/shm/mh-1', share: true } });
    expect(valueOf(template, '-machine')).toEqual(['pc,memory-backend=ram0']);
    expect(valueOf(template, '-object')).toEqual(['memory-backend-file,id=ram0,size=1024M,mem-path=/dev/shm/mh-1/ram0,share=on']);
    const restore = renderQemuArgs(defaultGuestSpec({ memoryMiB: 1024 }), { ...runtime, ram: { dir: '/dev/shm/mh-1', share: false }, incoming: 'defer' });
    expect(valueOf(restore, '-object')).toEqual(['memory-backend-file,id=ram0,size=1024M,mem-path=/dev/shm/mh-1/ram0,share=off']);
    // With NUMA nodes each node's memory is a file; a memory-less node has none; DIMMs stay anonymous (the stream carries them).
    const numa = renderQemuArgs(
      defaultGuestSpec({ memoryMiB: 2048, numa: [{ cpus: [0], memoryMiB: 2048 }, { cpus: [], memoryMiB: 0 }], hotplug: { slots: 2, maxMemoryMiB: 4096 }, dimms: [{ id: 'd1', sizeMiB: 256, node: 1 }] }),
      { ...runtime, ram: { dir: '/dev/shm/mh-2', share: true } },
    );
    expect(valueOf(numa, '-machine')).toEqual(['pc']);
    expect(valueOf(numa, '-object')).toEqual(['memory-backend-file,id=ram-node0,size=2048M,mem-path=/dev/shm/mh-2/ram-node0,share=on', 'memory-backend-ram,id=mem-d1,size=256M']);
    expect(valueOf(numa, '-numa')).toEqual(['node,nodeid=0,cpus=0,memdev=ram-node0', 'node,nodeid=1']);
  });

  it('adds -incoming for a restore', () => {
    expect(valueOf(renderQemuArgs(defaultGuestSpec(), { ...runtime, incoming: 'exec:cat /s' }), '-incoming')).toEqual(['exec:cat /s']);
  });
});

describe('guestSpecSchema', () => {
  it('rejects maxmem below memory with a message naming both', () => {
    const result = guestSpecSchema.safeParse({ memoryMiB: 2048, hotplug: { slots: 2, maxMemoryMiB: 1024 } });
    expect(result.success).toBe(false);
    expect(result.error?.issues[0]?.message).toMatch(/maxMemoryMiB \(1024\) is below memoryMiB \(2048\)/);
    expect(result.error?.issues[0]?.path).toEqual(['hotplug', 'maxMemoryMiB']);
  });

  it('rejects option values that would inject extra QEMU options', () => {
    expect(guestSpecSchema.safeParse({ devices: [{ driver: 'pc-dimm', props: { memdev: 'm1,romfile=/etc/shadow' } }] }).success).toBe(false);
    expect(guestSpecSchema.safeParse({ cmdline: ['a b'] }).success).toBe(false);
  });
});
