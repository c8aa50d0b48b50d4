import { canonicalModuleName } from './module-name.ts';

/**
 * Modules every guest image carries, whatever the test asked for. Where a kernel has one of
 * them built in (virtio_pci on 6.12) it is simply not copied; the init's modprobe of a
 * built-in module is a no-op.
 */

/** The NIC driver stack; the init loads these first, before it starts sshd. */
export const NETWORK_MODULES: readonly string[] = ['virtio_pci', 'virtio_net'];

/**
 * Carried by every image but loaded only on request (the spec's modules, or on demand by
 * the injectors): each modprobe costs 20–40 ms of boot under TCG, and a guest that merely
 * boots needs neither. virtio_rng serves a virtio-rng-pci device; hwpoison_inject is what
 * debugfs injection loads when it first needs it.
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
