/**
 * Debian version ordering, as `dpkg --compare-versions` does it. Kernel ABIs and package
 * versions must be ordered this way: plain string order puts 6.1.0-9 after 6.1.0-47, and
 * `~` (as in 6.12.117-1~deb12u1) sorts before everything, even the end of the string.
 */

interface ParsedVersion {
  epoch: number;
  upstream: string;
  revision: string;
}

function parseVersion(version: string): ParsedVersion {
  let rest = version.trim();
  let epoch = 0;
  const colon = rest.indexOf(':');
  if (colon > 0 && /^\d+$/.test(rest.slice(0, colon))) {
    epoch = Number(rest.slice(0, colon));
    rest = rest.slice(colon + 1);
  }
  const dash = rest.lastIndexOf('-');
  if (dash < 0) return { epoch, upstream: rest, revision: '' };
  return { epoch, upstream: rest.slice(0, dash), revision: rest.slice(dash + 1) };
}

const isDigit = (c: string | undefined): boolean => c !== undefined && c >= '0' && c <= '9';
const isAlpha = (c: string | undefined): boolean =>
  c !== undefined && ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'));

/** dpkg's order(): letters sort before non-letters, `~` before the end of the string. */
function order(c: string | undefined): number {
  if (c === undefined || isDigit(c)) return 0;
  if (isAlpha(c)) return c.charCodeAt(0);
  if (c === '~') return -1;
  return c.charCodeAt(0) + 256;
}

/** dpkg's verrevcmp(): alternating non-digit and digit runs. */
function compareFragment(a: string, b: string): number {
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    let firstDiff = 0;
    while ((i < a.length && !isDigit(a[i])) || (j < b.length && !isDigit(b[j]))) {
      const ac = order(a[i]);
      const bc = order(b[j]);
      if (ac !== bc) return ac - bc;
      i++;
      j++;
    }
    while (a[i] === '0') i++;
    while (b[j] === '0') j++;
    while (isDigit(a[i]) && isDigit(b[j])) {
      if (!firstDiff) firstDiff = a.charCodeAt(i) - b.charCodeAt(j);
      i++;
      j++;
    }
    if (isDigit(a[i])) return 1;
    if (isDigit(b[j])) return -1;
    if (firstDiff) return firstDiff;
  }
  return 0;
}

/** Negative when a < b, zero when equal, positive when a > b (Debian rules). */
export function compareDebianVersions(a: string, b: string): number {
  const pa = parseVersion(a);
  const pb = parseVersion(b);
  if (pa.epoch !== pb.epoch) return pa.epoch - pb.epoch;
  const upstream = compareFragment(pa.upstream, pb.upstream);
  if (upstream !== 0) return upstream;
  return compareFragment(pa.revision, pb.revision);
}

/** 6.1.192-2 → 6.1.192; 6.12.117-1~deb12u1 → 6.12.117; 1:2.3-4 → 2.3. */
export function upstreamOfDebianVersion(version: string): string {
  return parseVersion(version).upstream;
}
