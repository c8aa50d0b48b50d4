import os from 'node:os';
import path from 'node:path';
import { HarnessError } from '../util/errors.ts';

/** The kernel used when the user names none. */
export const DEFAULT_KERNEL_REF = 'latest-6.12';

/**
 * What the user asked for, before anything is looked up. Debian forms are recognised by
 * shape alone; everything else is taken as a path (to a bzImage, a vmlinux or a build tree),
 * which the resolver then checks on disk.
 */
export type KernelRef =
  /** latest-6.12: the newest build of a series the archive offers. */
  | { kind: 'debian-latest'; series: string }
  /** 6.1.0-56, 6.12.117+deb12, or the release 6.1.0-56-amd64. */
  | { kind: 'debian-abi'; abi: string }
  /** 6.12.117: an ABI 6.12.117+debNN, or any build whose upstream version is 6.12.117. */
  | { kind: 'debian-upstream'; version: string }
  /** A full binary package name: that exact package, signed or not. */
  | { kind: 'debian-package'; package: string; abi: string; signed: boolean }
  | { kind: 'path'; path: string };

export type DebianKernelRef = Exclude<KernelRef, { kind: 'path' }>;

/** 6.1.0-56, 6.1.0-0.deb11.21 (backports) or 6.12.117+deb12. */
const ABI = String.raw`\d+\.\d+\.\d+(?:-\d+(?:\.[0-9a-z]+)*|\+deb\d+)`;
const ABI_RE = new RegExp(`^(${ABI})$`);
/** What follows the ABI in a package name or release: the flavour, then the variant. */
const FLAVOURED_RE = new RegExp(`^(${ABI})-([a-z0-9-]+)$`);

const WHY_NOT_CLOUD =
  'the -cloud flavour is built without X86_MCE and MEMORY_FAILURE, so it cannot take memory errors; use the plain amd64 flavour';
const WHY_NOT_RT = 'the -rt (PREEMPT_RT) flavour is not supported; use the plain amd64 flavour';
const WHY_NOT_DBG = 'the -dbg package holds debug symbols only, no bootable kernel; use the plain amd64 flavour';

/** Checks the part after the ABI (amd64, amd64-unsigned, cloud-amd64, ...). */
function parseFlavour(ref: string, suffix: string): { signed: boolean } {
  const refuse = (why: string): never => {
    throw new HarnessError('usage', `kernel '${ref}' cannot be used: ${why}`);
  };
  if (suffix.endsWith('-dbg')) refuse(WHY_NOT_DBG);
  if (suffix.startsWith('cloud-')) refuse(WHY_NOT_CLOUD);
  if (suffix.startsWith('rt-')) refuse(WHY_NOT_RT);
  if (suffix === 'amd64') return { signed: true };
  if (suffix === 'amd64-unsigned') return { signed: false };
  return refuse(`unknown flavour '${suffix}': only the amd64 flavour (signed or -unsigned) is supported`);
}

function usageError(ref: string, problem: string, hint?: string): HarnessError {
  return new HarnessError('usage', `kernel '${ref}': ${problem}`, hint === undefined ? {} : { hint });
}

const FORMS_HINT =
  'give latest-6.1, latest-6.12, a version (6.12.117, 6.1.0-56), a package name (linux-image-6.1.0-56-amd64-unsigned), or a path to a bzImage, a vmlinux or a kernel build tree';

/** Parses a --kernel value by shape only; undefined means DEFAULT_KERNEL_REF. */
export function parseKernelRef(input: string | undefined): KernelRef {
  const ref = (input ?? DEFAULT_KERNEL_REF).trim();
  if (ref === '') throw usageError(ref, 'empty kernel reference', FORMS_HINT);

  // Anything with a slash is a path, so ./6.12.117 can name a file that looks like a version.
  if (ref.includes('/') || ref === '~' || ref === '.' || ref === '..') return { kind: 'path', path: expandHome(ref) };

  const latest = /^latest-(\d+\.\d+)$/.exec(ref);
  if (latest?.[1]) return { kind: 'debian-latest', series: latest[1] };
  if (ref === 'latest') throw usageError(ref, 'which series?', 'give latest-6.1 or latest-6.12');

  if (ref.startsWith('linux-image-')) {
    const rest = ref.slice('linux-image-'.length);
    const match = FLAVOURED_RE.exec(rest);
    if (!match?.[1] || !match[2]) {
      throw usageError(
        ref,
        'not a versioned kernel image package (meta-packages such as linux-image-amd64 are not accepted)',
        FORMS_HINT,
      );
    }
    const { signed } = parseFlavour(ref, match[2]);
    return { kind: 'debian-package', package: ref, abi: match[1], signed };
  }

  if (ABI_RE.test(ref)) return { kind: 'debian-abi', abi: ref };
  if (/^\d+\.\d+\.\d+$/.test(ref)) return { kind: 'debian-upstream', version: ref };
  if (/^\d+\.\d+$/.test(ref)) throw usageError(ref, 'a series, not a build', `did you mean latest-${ref}?`);

  // A release string as `uname -r` prints it: 6.1.0-56-amd64, 6.12.117+deb12-amd64.
  const release = FLAVOURED_RE.exec(ref);
  if (release?.[1] && release[2]) {
    const suffix = release[2];
    if (suffix === 'amd64') return { kind: 'debian-abi', abi: release[1] };
    parseFlavour(ref, suffix);
    // amd64-unsigned without the linux-image- prefix: accept it as the package it names.
    return { kind: 'debian-package', package: `linux-image-${ref}`, abi: release[1], signed: false };
  }

  return { kind: 'path', path: expandHome(ref) };
}

function expandHome(p: string): string {
  if (p === '~') return os.homedir();
  if (p.startsWith('~/')) return path.join(os.homedir(), p.slice(2));
  return p;
}

/** The series (6.1, 6.12) an ABI or upstream version belongs to. */
export function seriesOf(version: string): string {
  const match = /^(\d+\.\d+)/.exec(version);
  return match?.[1] ?? version;
}
