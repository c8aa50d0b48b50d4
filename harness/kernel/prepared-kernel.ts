/**
 * A kernel ready to boot: everything below is on local disk, in the cache or in the user's
 * tree. This is the boundary between the kernel provider and the rest of the harness.
 */
export type KernelSource =
  | {
      kind: 'debian';
      /** Binary package actually used, e.g. linux-image-6.12.117+deb12-amd64-unsigned. */
      package: string;
      /** Debian package version, e.g. 6.12.117-1~deb12u1. */
      debianVersion: string;
      /** Upstream kernel version, e.g. 6.12.117 or 6.1.192. */
      upstreamVersion: string;
      signed: boolean;
    }
  | { kind: 'image'; path: string; modulesDir: string | null }
  | { kind: 'build-tree'; path: string };

export interface PreparedKernel {
  /** Stable cache key, safe as a directory name. */
  id: string;
  /** What `uname -r` will print in the guest. */
  release: string;
  source: KernelSource;
  /** The file QEMU boots: the ELF vmlinux (PVH entry, no in-guest decompression) when one
   *  could be extracted, otherwise the bzImage. */
  bootImage: string;
  bzImage: string | null;
  vmlinux: string | null;
  /** Root for `depmod -b`: contains lib/modules/<release>/ with decompressed, depmod-ed
   *  modules. Null when the kernel comes without modules. */
  modulesRoot: string | null;
  /** The kernel's .config when known (Debian: /boot/config-*). */
  configPath: string | null;
  /** System.map when known, for turning addresses in oopses into symbols. Optional so that
   *  hand-made PreparedKernel values (tests, fakes) need not mention it. */
  systemMap?: string | null;
}
