/**
 * The guest's initramfs: several gzip'd newc cpio archives concatenated byte for byte
 * (the kernel unpacks them in order, later files win). Each part is cached by what it is
 * built from, so only the small per-run part is made for every boot.
 */
export interface InitramfsPart {
  /** base | tools | helper | modules | run */
  name: string;
  path: string;
}

export interface GuestImage {
  /** The concatenated initrd to pass to QEMU's -initrd. */
  initrdPath: string;
  parts: InitramfsPart[];
  /** Canonical names of the image's modules (BASE_MODULES + requested), split by how the
   *  kernel provides them. `missing` holds optional base modules the kernel lacks. */
  modules: { loadable: string[]; builtin: string[]; missing: string[] };
}

/** Per-run secrets baked into the last archive part, never into a cached one. */
export interface GuestSshKeys {
  /** OpenSSH public key line the guest's dropbear accepts for root. */
  authorizedKey: string;
  /** The guest's host key in dropbear's own format. */
  dropbearHostKey: Buffer;
}
