import { HarnessError } from '../util/errors.ts';
import { APT_LISTS_STALE_MS, aptListsRefreshedHere, aptListsUpdatedAt, describeAge, isRoot, refreshAptLists } from '../host/apt-lists.ts';
import { silentProgress, type Progress } from '../util/progress.ts';
import { compareDebianVersions, upstreamOfDebianVersion } from './debian-version.ts';
import { runTool } from './host-tools.ts';
import { seriesOf } from './kernel-ref.ts';

/** One binary package of a kernel build, as `apt-cache show` describes it. */
export interface DebianPackageInfo {
  package: string;
  abi: string;
  signed: boolean;
  /** Debian package version, e.g. 6.12.117-1~deb12u1. */
  debianVersion: string;
  /** Upstream kernel version, from the package version: 6.1.0-56 is 6.1.192. */
  upstreamVersion: string;
  /** Source package, e.g. linux-6.12 or "linux-signed-amd64 (6.1.192+2)". */
  sourcePackage: string | null;
  sha256: string | null;
  sizeBytes: number | null;
}

/** One kernel build (ABI) of the plain amd64 flavour, in its signed and unsigned packages. */
export interface DebianBuild {
  abi: string;
  series: string;
  unsigned: DebianPackageInfo | null;
  signed: DebianPackageInfo | null;
}

/** The package to use for a build: unsigned when offered (no shim/signature baggage), else signed. */
export function preferredPackage(build: DebianBuild): DebianPackageInfo {
  const pkg = build.unsigned ?? build.signed;
  if (!pkg) throw new Error(`build ${build.abi} has no package`);
  return pkg;
}

/** Only the plain amd64 flavour: cloud lacks MCE/memory-failure support, rt and dbg don't fit. */
const PLAIN_AMD64_RE = /^linux-image-(\d+\.\d+\.\d+(?:-\d+(?:\.[0-9a-z]+)*|\+deb\d+))-amd64(-unsigned)?$/;

export function parsePlainAmd64Package(name: string): { abi: string; signed: boolean } | null {
  const match = PLAIN_AMD64_RE.exec(name);
  if (!match?.[1]) return null;
  return { abi: match[1], signed: match[2] === undefined };
}

/** Package names from `apt-cache search --names-only` ("name - description" lines). */
export function parseSearchOutput(text: string): string[] {
  const names: string[] = [];
  for (const line of text.split('\n')) {
    const name = line.split(' - ', 1)[0]?.trim();
    if (name) names.push(name);
  }
  return names;
}

interface ShowStanza {
  package: string;
  version: string;
  source: string | null;
  sha256: string | null;
  size: number | null;
}

/**
 * `apt-cache show` stanzas, keeping the highest version per package (one package can be in
 * several suites at different versions).
 */
export function parseShowOutput(text: string): Map<string, ShowStanza> {
  const best = new Map<string, ShowStanza>();
  for (const block of text.split(/\n\s*\n/)) {
    const fields = new Map<string, string>();
    for (const line of block.split('\n')) {
      const match = /^([A-Za-z0-9-]+):\s?(.*)$/.exec(line);
      if (match?.[1] && match[2] !== undefined) fields.set(match[1], match[2].trim());
    }
    const pkg = fields.get('Package');
    const version = fields.get('Version');
    if (!pkg || !version) continue;
    const size = fields.get('Size');
    const stanza: ShowStanza = {
      package: pkg,
      version,
      source: fields.get('Source') ?? null,
      sha256: fields.get('SHA256') ?? null,
      size: size && /^\d+$/.test(size) ? Number(size) : null,
    };
    const previous = best.get(pkg);
    if (!previous || compareDebianVersions(version, previous.version) > 0) best.set(pkg, stanza);
  }
  return best;
}

/** Groups packages into builds and sorts them oldest first, by Debian version then ABI. */
export function buildsFromPackages(names: string[], show: Map<string, ShowStanza>): DebianBuild[] {
  const builds = new Map<string, DebianBuild>();
  for (const name of names) {
    const parsed = parsePlainAmd64Package(name);
    const stanza = show.get(name);
    if (!parsed || !stanza) continue;
    const build = builds.get(parsed.abi) ?? { abi: parsed.abi, series: seriesOf(parsed.abi), unsigned: null, signed: null };
    const info: DebianPackageInfo = {
      package: name,
      abi: parsed.abi,
      signed: parsed.signed,
      debianVersion: stanza.version,
      upstreamVersion: upstreamOfDebianVersion(stanza.version),
      sourcePackage: stanza.source,
      sha256: stanza.sha256,
      sizeBytes: stanza.size,
    };
    if (parsed.signed) build.signed = info;
    else build.unsigned = info;
    builds.set(parsed.abi, build);
  }
  return [...builds.values()].sort(compareBuilds);
}

export function compareBuilds(a: DebianBuild, b: DebianBuild): number {
  return (
    compareDebianVersions(preferredPackage(a).debianVersion, preferredPackage(b).debianVersion) ||
    compareDebianVersions(a.abi, b.abi)
  );
}

/** What a look-up in the archive uses; the real one asks apt, tests give fakes. */
export interface ArchiveAccess {
  /** Every plain amd64 build the lists offer, oldest first (empty: no kernel in the lists). */
  query(): Promise<DebianBuild[]>;
  /** How old the package lists are; null when there are none. */
  listsAgeMs(): Promise<number | null>;
  /** apt-get update, once per process; rejects when it cannot (not root, archive unreachable). */
  refresh(why: string): Promise<void>;
  /** Whether refresh can work here (root) and has not run yet in this process. */
  canRefresh(): boolean;
  progress: Progress;
}

/**
 * Thrown by a pick when the lists lack what was asked (a build, a series, a range end): the one
 * failure a refresh of stale lists can cure. Other errors (a bad range, a usage error) pass.
 */
export class NotInArchiveError extends HarnessError {
  constructor(message: string, details: ConstructorParameters<typeof HarnessError>[2] = {}) {
    super('kernel', message, details);
    this.name = 'NotInArchiveError';
  }
}

/**
 * Looks a kernel (or a range, or bisect ends) up in the archive the way a new machine needs:
 * lists older than a day, or holding no kernel, are refreshed first (as root; otherwise a note);
 * and when `pick` does not find what it was asked for in lists this process did not refresh,
 * they are refreshed once and `pick` runs again. Every refresh is said in the progress output.
 */
export async function findInArchive<T>(pick: (builds: DebianBuild[]) => T, access: ArchiveAccess = aptArchive()): Promise<T> {
  const age = await access.listsAgeMs();
  if (age === null || age > APT_LISTS_STALE_MS) {
    const why = age === null ? 'there are no package lists' : `the package lists are ${describeAge(age)} old`;
    if (access.canRefresh()) await access.refresh(why);
    else if (!aptListsRefreshedHere()) access.progress.info(`note: ${why}; newer kernels may be missing (sudo apt-get update)`);
  }
  let builds = await access.query();
  if (builds.length === 0) {
    if (!access.canRefresh()) {
      throw new HarnessError('prerequisite', 'apt knows no linux-image packages: the package lists are probably not downloaded', {
        hint: 'run: sudo apt-get update',
      });
    }
    await access.refresh('the package lists hold no kernels');
    builds = await access.query();
    if (builds.length === 0) {
      throw new HarnessError('prerequisite', 'the Debian archive offers no linux-image packages, even after apt-get update', {
        hint: 'check /etc/apt/sources.list(.d): Debian kernels come from the main and -security suites (bookworm-security has the newest)',
      });
    }
  }
  try {
    return pick(builds);
  } catch (error) {
    if (!(error instanceof NotInArchiveError)) throw error;
    if (!access.canRefresh()) {
      if (aptListsRefreshedHere()) throw error;
      throw new NotInArchiveError(error.message, {
        hint: `${error.details.hint ? `${error.details.hint}; or ` : ''}the package lists may be out of date: run sudo apt-get update`,
      });
    }
    await access.refresh(`${error.message.split(';')[0]} in the package lists`);
    return pick(await access.query());
  }
}

/** The real archive: apt's lists on this host. */
export function aptArchive(progress: Progress = silentProgress): ArchiveAccess {
  return {
    progress,
    query: () => queryDebianArchive(),
    async listsAgeMs() {
      const at = await aptListsUpdatedAt();
      return at === null ? null : Date.now() - at.getTime();
    },
    async refresh(why) {
      await refreshAptLists(progress, why);
      memo = null;
    },
    canRefresh: () => isRoot() && !aptListsRefreshedHere(),
  };
}

/**
 * Every plain amd64 kernel build the local package lists offer, oldest first; empty when they
 * hold none. Reads the lists only: `findInArchive` decides when to refresh them.
 */
export async function queryDebianArchive(): Promise<DebianBuild[]> {
  // Two apt-cache runs cost about a second; one command often asks twice (resolve + list).
  if (memo && Date.now() - memo.at < MEMO_MS) return memo.builds;
  const builds = readArchive();
  memo = { at: Date.now(), builds };
  builds.catch(() => {
    memo = null;
  });
  return builds;
}

const MEMO_MS = 60_000;
let memo: { at: number; builds: Promise<DebianBuild[]> } | null = null;

async function readArchive(): Promise<DebianBuild[]> {
  const names = await searchKernelPackages();
  const plain = names.filter((name) => parsePlainAmd64Package(name) !== null);
  if (plain.length === 0) return [];
  const show = await runTool('apt-cache', ['show', ...plain], { purpose: 'read kernel package details (apt-cache show)' });
  return buildsFromPackages(plain, parseShowOutput(show));
}

async function searchKernelPackages(): Promise<string[]> {
  const out = await runTool('apt-cache', ['search', '--names-only', '^linux-image-[0-9]'], {
    purpose: 'list Debian kernel packages (apt-cache search)',
  });
  return parseSearchOutput(out);
}
