import { describe, expect, it } from 'vitest';
import { bootModules, defaultGuestSpec, guestSpecSchema } from './guest-spec.ts';
import { renderQemuArgs } from './qemu-args.ts';
import { snapshotBlocker, topologyCmdline } from './topology.ts';

const runtime = { name: 't', accel: 'tcg' as const, kernelImage: '/k', initrd: '/i', kernelCmdline: [], qmpSocket: '/run/m1/qmp.sock', sshPort: null };

describe('topology rendering', () => {
  const spec = defaultGuestSpec({
    memoryMiB: 2048,
    cpus: 2,
    numa: [{ cpus: [0], memoryMiB: 1536 }, { cpus: [1], memoryMiB: 512 }, { memoryMiB: 0 }],
    hotplug: { slots: 4, maxMemoryMiB: 8192 },
    dimms: [{ id: 'dimm0', sizeMiB: 512, node: 1 }],
    virtioMem: [{ id: 'vm0', node: 0, maxSizeMiB: 1024, requestedMiB: 256 }],
    nvdimms: [{ id: 'nv0', sizeMiB: 512, labelSizeKiB: 128 }],
    legacyPmem: [{ sizeMiB: 256, offsetMiB: 1024 }],
    memoryPolicy: { movablecoreMiB: 512, onlineDefault: 'offline' },
  });

  it('renders nodes, devices and backends into QEMU arguments, NVDIMM files in the machine directory', () => {
    const args = renderQemuArgs(spec, runtime);
    const values = (flag: string) => args.flatMap((word, i) => (word === flag ? [args[i + 1]!] : []));
    expect(values('-machine')).toEqual(['pc,nvdimm=on']);
    expect(values('-m')).toEqual(['2048M,slots=4,maxmem=8192M']);
    expect(values('-numa')).toEqual(['node,nodeid=0,cpus=0,memdev=ram-node0', 'node,nodeid=1,cpus=1,memdev=ram-node1', 'node,nodeid=2']);
    expect(values('-object')).toEqual([
      'memory-backend-ram,id=ram-node0,size=1536M',
      'memory-backend-ram,id=ram-node1,size=512M',
      'memory-backend-ram,id=mem-dimm0,size=512M',
      'memory-backend-ram,id=mem-vm0,size=1024M',
      'memory-backend-file,id=mem-nv0,share=on,mem-path=/run/m1/nvdimm-nv0.img,size=512M',
    ]);
    expect(values('-device')).toEqual([
      'pc-dimm,id=dimm0,memdev=mem-dimm0,node=1',
      'virtio-mem-pci,id=vm0,memdev=mem-vm0,node=0,requested-size=256M',
      'nvdimm,id=nv0,memdev=mem-nv0,node=0,label-size=128K',
    ]);
  });

  it('adds the command-line policy and the modules the devices need', () => {
    expect(topologyCmdline(spec)).toEqual(['memmap=256M!1024M', 'movablecore=512M', 'memhp_default_state=offline']);
    expect(bootModules(spec)).toEqual(['virtio_mem', 'nfit', 'nd_pmem', 'dax_pmem', 'device_dax', 'kmem', 'nd_e820']);
  });

  it('boots NVDIMM guests per case instead of restoring a snapshot', () => {
    expect(snapshotBlocker(spec)).toMatch(/NVDIMMs/);
    expect(snapshotBlocker(defaultGuestSpec({ dimms: [{ id: 'd', sizeMiB: 128 }], hotplug: { slots: 1, maxMemoryMiB: 4096 } }))).toBeNull();
  });

  it('leaves a guest without topology exactly as before', () => {
    const args = renderQemuArgs(defaultGuestSpec(), runtime);
    expect(args).not.toContain('-numa');
    expect(args).not.toContain('-object');
    expect(args[args.indexOf('-machine') + 1]).toBe('pc');
  });

  it('refuses virtio-mem sizes off the block size and requests above the maximum', () => {
    const result = guestSpecSchema.safeParse({ hotplug: { slots: 1, maxMemoryMiB: 8192 }, virtioMem: [{ id: 'v', maxSizeMiB: 1023, requestedMiB: 2048 }] });
    expect(result.success).toBe(false);
    expect(result.error!.issues.map((issue) => issue.message)).toEqual(['requestedMiB 2048 is above maxSizeMiB 1023', 'sizes must be multiples of the block size (2 MiB)']);
  });
});
