/**
 * A Debian changelog (debian/changelog, as shipped in /usr/share/doc/<pkg>/changelog.Debian.gz)
 * as versions and entries. The kernel's changelog lists, under "New upstream stable update:",
 * the title of every upstream stable commit an upload brought in:
 *
 *   linux (6.1.140-1) bookworm-security; urgency=high
 *
 *     * New upstream stable update:
 *       https://www.kernel.org/pub/linux/kernel/v6.x/ChangeLog-6.1.140
 *       - hwpoison, memory_hotplug: lock folio before unmap hwpoisoned folio
 *       - [amd64] x86/mm: a title too long for one line continues on the next,
 *         indented under it
 *         + a commit of a series the entry above names
 *
 *     [ Salvatore Bonaccorso ]
 *     * Bump ABI to 37
 *
 *    -- Salvatore Bonaccorso <carnil@debian.org>  Thu, 22 May 2025 20:32:07 +0200
 */
export interface ChangelogEntry {
  /** The entry's text, continuation lines joined with single spaces. */
  title: string;
  /** 1 for `  * ` items, 2 for `    - ` under one, 3 for `      + ` / `      - ` under those. */
  level: 1 | 2 | 3;
  /** 'upstream' when listed under a "New upstream ..." item (an upstream commit title), else 'debian'. */
  kind: 'upstream' | 'debian';
  /** The upstream ChangeLog URL it is listed under, if any. */
  upstreamLog: string | null;
  /** The `[ Name ]` section it is in, if any. */
  author: string | null;
  /** 1-based line in the changelog. */
  line: number;
}

export interface ChangelogVersion {
  /** Source package: linux, linux-6.12, ... */
  source: string;
  version: string;
  distribution: string;
  maintainer: string | null;
  date: string | null;
  entries: ChangelogEntry[];
  line: number;
}

const HEADER_RE = /^(\S+) \(([^)\s]+)\) ([^;]*);/;
const TRAILER_RE = /^ -- (.*?)(?: {2}(.*))?$/;
const AUTHOR_RE = /^ {2}\[ (.+?) \]\s*$/;
const BULLET_RE = /^( {2}| {4}| {6})([*+-]) (.*)$/;
const URL_LINE_RE = /^ {4}(https?:\/\/\S+)\s*$/;
const UPSTREAM_HEADING_RE = /^New upstream (?:stable update|release|version)\b/i;

interface OpenEntry {
  entry: ChangelogEntry | null;
  /** Indentation of the bullet; continuation lines are indented two more. */
  indent: number;
}

export function parseDebianChangelog(text: string): ChangelogVersion[] {
  const versions: ChangelogVersion[] = [];
  let current: ChangelogVersion | null = null;
  let author: string | null = null;
  let upstreamLog: string | null = null;
  let underUpstream = false;
  let open: OpenEntry[] = [];

  const lines = text.split('\n');
  for (let index = 0; index < lines.length; index++) {
    const line = lines[index]!.replace(/\s+$/, '');
    const lineNumber = index + 1;
    const header = HEADER_RE.exec(line);
    if (header) {
      current = { source: header[1]!, version: header[2]!, distribution: header[3]!.trim(), maintainer: null, date: null, entries: [], line: lineNumber };
      versions.push(current);
      author = null;
      upstreamLog = null;
      underUpstream = false;
      open = [];
      continue;
    }
    if (!current || line === '') continue;
    const trailer = TRAILER_RE.exec(line);
    if (trailer) {
      current.maintainer = trailer[1] ?? null;
      current.date = trailer[2] ?? null;
      open = [];
      continue;
    }
    const section = AUTHOR_RE.exec(line);
    if (section) {
      author = section[1]!;
      open = [];
      continue;
    }
    const url = URL_LINE_RE.exec(line);
    if (url && underUpstream) {
      upstreamLog = url[1]!;
      open = open.filter((item) => item.indent < 4);
      continue;
    }
    const bullet = BULLET_RE.exec(line);
    if (bullet) {
      const indent = bullet[1]!.length;
      const level = (indent / 2) as 1 | 2 | 3;
      const title = bullet[3]!.trim();
      open = open.filter((item) => item.indent < indent);
      if (level === 1) {
        underUpstream = UPSTREAM_HEADING_RE.test(title);
        upstreamLog = null;
        // The heading itself changes nothing; it only says what the entries under it are.
        if (underUpstream) {
          open.push({ entry: null, indent });
          continue;
        }
      }
      const entry: ChangelogEntry = { title, level, kind: underUpstream && level > 1 ? 'upstream' : 'debian', upstreamLog: level > 1 ? upstreamLog : null, author, line: lineNumber };
      current.entries.push(entry);
      open.push({ entry, indent });
      continue;
    }
    // A continuation line belongs to the innermost entry it is indented under.
    const indent = line.length - line.trimStart().length;
    for (let at = open.length - 1; at >= 0; at--) {
      const item = open[at]!;
      if (item.indent + 2 <= indent) {
        if (item.entry) item.entry.title = `${item.entry.title} ${line.trim()}`;
        break;
      }
    }
  }
  return versions;
}
