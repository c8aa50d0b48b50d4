/**
 * Regions of a Markdown file that a generator owns, between marker comments:
 *
 *   <!-- BEGIN GENERATED: name -->
 *   ...
 *   <!-- END GENERATED: name -->
 *
 * Everything outside them is written by hand and left byte for byte as it is.
 */

const MARKER = /^<!-- (BEGIN|END) GENERATED: ([a-z0-9][a-z0-9-]*) -->$/;

export interface RegionUpdate {
  text: string;
  /** Regions whose text differed from the generated one. */
  drifted: string[];
  /** Markers out of order, regions the file lacks or the generator does not know. */
  problems: string[];
}

export function beginMarker(name: string): string {
  return `<!-- BEGIN GENERATED: ${name} -->`;
}

export function endMarker(name: string): string {
  return `<!-- END GENERATED: ${name} -->`;
}

interface OpenRegion {
  name: string;
  line: number;
  body: string[];
}

/** Replaces each region's body with `bodies[name]`; the markers stay. */
export function replaceRegions(text: string, bodies: Readonly<Record<string, string>>): RegionUpdate {
  const lines = text.split('\n');
  const out: string[] = [];
  const drifted: string[] = [];
  const problems: string[] = [];
  const seen = new Set<string>();
  let open: OpenRegion | null = null;
  for (const [index, line] of lines.entries()) {
    const marker = MARKER.exec(line.trim());
    if (!marker) {
      (open ? open.body : out).push(line);
      continue;
    }
    const which = marker[1]!;
    const name = marker[2]!;
    if (which === 'BEGIN') {
      if (open) {
        problems.push(`line ${index + 1}: region '${name}' begins inside region '${open.name}' (line ${open.line})`);
        open.body.push(line);
        continue;
      }
      if (seen.has(name)) problems.push(`line ${index + 1}: region '${name}' appears twice`);
      else if (!Object.hasOwn(bodies, name)) problems.push(`line ${index + 1}: no generator for region '${name}' (known: ${Object.keys(bodies).join(', ')})`);
      seen.add(name);
      out.push(line);
      open = { name, line: index + 1, body: [] };
      continue;
    }
    if (!open || open.name !== name) {
      problems.push(`line ${index + 1}: END of region '${name}' without its BEGIN`);
      (open ? open.body : out).push(line);
      continue;
    }
    const generated = Object.hasOwn(bodies, name) ? bodies[name]! : null;
    if (generated !== null && open.body.join('\n') !== generated && !drifted.includes(name)) drifted.push(name);
    out.push(generated ?? open.body.join('\n'), line);
    open = null;
  }
  if (open) {
    problems.push(`region '${open.name}' (line ${open.line}) has no END marker`);
    out.push(...open.body);
  }
  for (const name of Object.keys(bodies)) if (!seen.has(name)) problems.push(`region '${name}' is missing: add ${beginMarker(name)} and ${endMarker(name)} where it belongs`);
  return { text: out.join('\n'), drifted, problems };
}
