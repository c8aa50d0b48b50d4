import { HarnessError } from '../util/errors.ts';
import { canonicalModuleName, isValidModuleName } from './module-name.ts';

/**
 * The contract between the harness and the guest's init (vm-images/init): the kernel
 * command-line words the init reads and the console lines it prints. Keep in step with the
 * script.
 */
export const INIT_MARKERS = {
  /** The init's first action; defines boot-to-init time. */
  start: 'memharness-init: start',
  /** eth0 is configured and dropbear started: the host may begin its SSH handshake. */
  networkUp: 'memharness-init: network-up',
  /** Every requested module was attempted (failures are reported one by one before). */
  modulesDone: 'memharness-init: modules-done',
  /** Setup finished and dropbear listens on port 22. */
  readySsh: 'memharness-init: ready ssh=1',
  /** Setup finished without SSH (asked for, or sshd failed: an error line precedes it). */
  readyNoSsh: 'memharness-init: ready ssh=0',
  /** Followed by `<module>: <modprobe's message>`. */
  modprobeFailedPrefix: 'memharness-init: modprobe-failed ',
  /** Followed by `<area>: <message>`, e.g. `sshd: dropbear is not listening ...`. */
  errorPrefix: 'memharness-init: error ',
  /** Informational, e.g. `entropy: waiting for the kernel crng ...` (no virtio-rng device). */
  notePrefix: 'memharness-init: note ',
} as const;

/** What the init does on QEMU user networking (fixed addresses of that network). */
export const GUEST_NETWORK = {
  address: '10.0.2.15',
  gateway: '10.0.2.2',
  interface: 'eth0',
  sshPort: 22,
} as const;

export interface InitCmdlineParams {
  /** Loaded after the base modules, in this order. */
  modules: string[];
  ssh: boolean;
  network: boolean;
}

/** Kernel command-line words for the init, e.g. ['mh.modules=brd,nd_pmem', 'mh.net=1', 'mh.ssh=1']. */
export function renderInitCmdline(params: InitCmdlineParams): string[] {
  if (params.ssh && !params.network) {
    throw new HarnessError('usage', 'SSH in the guest needs its network; cannot have ssh without network');
  }
  const modules: string[] = [];
  for (const name of params.modules) {
    if (!isValidModuleName(name)) {
      throw new HarnessError('usage', `invalid kernel module name ${JSON.stringify(name)}`, {
        hint: 'module names consist of letters, digits, "_" and "-"',
      });
    }
    const canonical = canonicalModuleName(name);
    if (!modules.includes(canonical)) modules.push(canonical);
  }
  const words: string[] = [];
  if (modules.length > 0) words.push(`mh.modules=${modules.join(',')}`);
  words.push(`mh.net=${params.network ? 1 : 0}`, `mh.ssh=${params.ssh ? 1 : 0}`);
  return words;
}

export type InitEvent =
  | { kind: 'start' }
  | { kind: 'modules-done' }
  | { kind: 'network-up' }
  | { kind: 'ready'; ssh: boolean }
  | { kind: 'modprobe-failed'; module: string; message: string }
  | { kind: 'error'; area: string; message: string }
  | { kind: 'note'; area: string; message: string };

const MARKER_PREFIX = 'memharness-init: ';

/**
 * Recognises an init marker in one console line. Tolerates leading noise (a CR, or kernel
 * output that raced onto the same line), because the serial console is shared with printk.
 */
export function parseInitMarker(line: string): InitEvent | null {
  const at = line.indexOf(MARKER_PREFIX);
  if (at < 0) return null;
  const marker = line.slice(at).trimEnd();
  if (marker === INIT_MARKERS.start) return { kind: 'start' };
  if (marker === INIT_MARKERS.modulesDone) return { kind: 'modules-done' };
  if (marker === INIT_MARKERS.networkUp) return { kind: 'network-up' };
  if (marker === INIT_MARKERS.readySsh) return { kind: 'ready', ssh: true };
  if (marker === INIT_MARKERS.readyNoSsh) return { kind: 'ready', ssh: false };
  const split = (rest: string): [string, string] => {
    const colon = rest.indexOf(': ');
    return colon < 0 ? [rest, ''] : [rest.slice(0, colon), rest.slice(colon + 2)];
  };
  if (marker.startsWith(INIT_MARKERS.modprobeFailedPrefix)) {
    const [module, message] = split(marker.slice(INIT_MARKERS.modprobeFailedPrefix.length));
    return { kind: 'modprobe-failed', module, message };
  }
  if (marker.startsWith(INIT_MARKERS.errorPrefix)) {
    const [area, message] = split(marker.slice(INIT_MARKERS.errorPrefix.length));
    return { kind: 'error', area, message };
  }
  if (marker.startsWith(INIT_MARKERS.notePrefix)) {
    const [area, message] = split(marker.slice(INIT_MARKERS.notePrefix.length));
    return { kind: 'note', area, message };
  }
  return null;
}
