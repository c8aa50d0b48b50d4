import { canonicalModuleName } from './module-name.ts';

/**
 * Modules every guest image carries, whatever the test asked for. Where a kernel has one of
 * them built in (virtio_pci on 6.12) it is simply not copied; the init's modprobe of a
 * built-in module is a no-op.
 */

/** The NIC driver stack; the init loads these first, before it starts sshd. */
export const NETWORK_MODULES: readonly string[] = ['virtio_pci', 'virtio_net'];

/**
 * Loaded right after sshd was started, while it initialises. hwpoison_inject is tiny and
 * every test injects through it; virtio_rng feeds the kernel's entropy pool when QEMU has a
 * virtio-rng-pci device (harmless without one).
 */
export const SERVICE_MODULES: readonly string[] = ['virtio_rng', 'hwpoison_inject'];

export const BASE_MODULES: readonly string[] = [...NETWORK_MODULES, ...SERVICE_MODULES];

/** Base modules a kernel may lack entirely without the image being useless. */
export const OPTIONAL_BASE_MODULES: ReadonlySet<string> = new Set(['virtio_rng']);

/** Canonical, de-duplicated module set of an image: base modules first, then requested ones
 *  in the order given. */
export function imageModuleNames(requested: readonly string[]): string[] {
  return [...new Set([...BASE_MODULES, ...requested].map(canonicalModuleName))];
}
