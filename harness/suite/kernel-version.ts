/**
 * Kernel versions as a suite compares them: the UPSTREAM version. Debian's release string
 * 6.1.0-56-amd64 hides it (that is upstream 6.1.192; the ".0" is an ABI name), while
 * 6.12.117+deb12-amd64 shows it. So a version is built from the release plus, when known,
 * the upstream version (kernel.json, the .config header, /proc/version); without one, a
 * Debian ABI release has an unknown patch level rather than a wrong one.
 */
export interface KernelVersion {
  major: number;
  minor: number;
  /** null: the series is known but not the patch level (a Debian ABI release alone). */
  patch: number | null;
}

/** 6.1.0-56-amd64, 6.1.0-56-cloud-amd64, 6.12.0-0.deb12.1-amd64 ... (Debian's ABI-named releases). */
const DEBIAN_ABI_RELEASE = /^(\d+)\.(\d+)\.0-\d+(?:\.deb\d+\.\d+)?-[a-z0-9-]+$/;
const VERSION_PREFIX = /^(\d+)\.(\d+)(?:\.(\d+))?/;

/** Parses "6.12", "6.1.192", "6.13.0-rc4", "6.12.117+deb12-amd64"; release candidates count as their release. */
export function parseKernelVersion(text: string): KernelVersion | null {
  const match = VERSION_PREFIX.exec(text.trim());
  if (!match) return null;
  return { major: Number(match[1]), minor: Number(match[2]), patch: match[3] === undefined ? null : Number(match[3]) };
}

/**
 * The upstream version of a running or prepared kernel. `upstream` (e.g. "6.1.192") wins
 * when given and of the same series; a Debian ABI release without it has patch null.
 */
export function kernelVersionOf(release: string, upstream?: string | null): KernelVersion | null {
  const fromRelease = parseKernelVersion(release);
  const fromUpstream = upstream ? parseKernelVersion(upstream) : null;
  if (fromUpstream && fromUpstream.patch !== null && (!fromRelease || (fromRelease.major === fromUpstream.major && fromRelease.minor === fromUpstream.minor))) {
    return fromUpstream;
  }
  if (!fromRelease) return fromUpstream;
  if (DEBIAN_ABI_RELEASE.test(release.trim())) return { ...fromRelease, patch: null };
  return fromRelease;
}

export function formatKernelVersion(version: KernelVersion): string {
  return `${version.major}.${version.minor}${version.patch === null ? '.?' : `.${version.patch}`}`;
}

/** Orders two fully known versions. */
export function compareKernelVersions(a: KernelVersion & { patch: number }, b: KernelVersion & { patch: number }): number {
  return a.major - b.major || a.minor - b.minor || a.patch - b.patch;
}
