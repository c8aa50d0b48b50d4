/**
 * `$name` references: values only known once the case runs.
 *
 * - `$t0` (or `$t0.pfn`) is the PFN the target had when it was prepared (the page injected
 *   into; soft offline later moves the data, not this number; a `migrate` step moves it),
 *   `$t0.vaddr` its address in the helper, `$t0.phys` its physical address, `$t0.block` the
 *   memory block holding `$t0` (`memory5`);
 * - `$t0.now` is the PFN the helper's mapping of the target has at the moment the reference
 *   is used (asked of the helper then);
 * - `$t0@ID` (also `$t0@ID.pfn`, `$t0@ID.phys`, `$t0@ID.block`) is the PFN the helper's
 *   mapping had right after the step whose `id:` is ID;
 * - `$helper.pid` and `$helper.comm` name the guest helper process, `$NAME.pid` and
 *   `$NAME.comm` the process of the `program` step named NAME.
 */
export type ValueRef =
  | { kind: 'target'; target: string; property: TargetProperty }
  | { kind: 'target-after'; target: string; step: string; property: TargetAfterProperty }
  | { kind: 'helper'; property: ProcessProperty }
  | { kind: 'program'; program: string; property: ProcessProperty };

export type TargetProperty = 'pfn' | 'vaddr' | 'phys' | 'block' | 'now';
export type TargetAfterProperty = 'pfn' | 'phys' | 'block';
export type ProcessProperty = 'pid' | 'comm';

const TARGET_PROPERTIES: readonly TargetProperty[] = ['pfn', 'vaddr', 'phys', 'block', 'now'];
const TARGET_AFTER_PROPERTIES: readonly TargetAfterProperty[] = ['pfn', 'phys', 'block'];
const PROCESS_PROPERTIES: readonly ProcessProperty[] = ['pid', 'comm'];

export const TARGET_NAME = /^[a-z][a-z0-9_]{0,31}$/;
/** Reserved: `$helper` is the helper process, never a target or a program. */
export const HELPER_REF_NAME = 'helper';

/** A step id as `@ID` takes it: an id without dots (a dot starts the property). */
const AT_STEP = '[a-z0-9][a-z0-9_-]{0,79}';
const REF = new RegExp(`^\\$([a-z][a-z0-9_]{0,31})(?:@(${AT_STEP}))?(?:\\.([a-z]+))?$`);
/**
 * Where references sit in free text (a `shell` command, a program's `args`): `$NAME.PROP`,
 * `$NAME@ID` or `$NAME@ID.PROP`, not after a backslash. A bare `$name` is the shell's own
 * variable, left alone.
 */
const TEXT_REF = new RegExp(`(?<!\\\\)\\$([a-z][a-z0-9_]{0,31})(?:(@${AT_STEP})(?:\\.([a-z][a-z0-9_]*))?|\\.([a-z][a-z0-9_]*))`, 'g');

const FORMS = '$t0, $t0.pfn, $t0.vaddr, $t0.phys, $t0.block, $t0.now, $t0@STEP-ID, $helper.pid, $helper.comm, $NAME.pid or $NAME.comm (a program step)';

/** Parses a reference; null when the text is not one at all, a message when it is a bad one. */
export function parseValueRef(text: string): ValueRef | string | null {
  if (!text.startsWith('$') || text.startsWith('${')) return null;
  const match = REF.exec(text);
  if (!match) return `'${text}' is not a reference; write ${FORMS}`;
  const [, name, step, property] = match;
  return refOf(text, name!, step, property);
}

function refOf(text: string, name: string, step: string | undefined, property: string | undefined): ValueRef | string {
  if (name === HELPER_REF_NAME) {
    if (step === undefined && (PROCESS_PROPERTIES as readonly string[]).includes(property ?? '')) return { kind: 'helper', property: property as ProcessProperty };
    return `'${text}': $helper needs .pid or .comm`;
  }
  if (step !== undefined) {
    if (property === undefined || (TARGET_AFTER_PROPERTIES as readonly string[]).includes(property)) return { kind: 'target-after', target: name, step, property: (property ?? 'pfn') as TargetAfterProperty };
    return `'${text}': a target after a step has .pfn (the default), .phys and .block`;
  }
  if (property === undefined || (TARGET_PROPERTIES as readonly string[]).includes(property)) return { kind: 'target', target: name, property: (property ?? 'pfn') as TargetProperty };
  if ((PROCESS_PROPERTIES as readonly string[]).includes(property)) return { kind: 'program', program: name, property: property as ProcessProperty };
  return `'${text}': a target has .pfn, .vaddr, .phys, .block and .now, a program .pid and .comm`;
}

export function formatValueRef(ref: ValueRef): string {
  switch (ref.kind) {
    case 'helper':
      return `$helper.${ref.property}`;
    case 'program':
      return `$${ref.program}.${ref.property}`;
    case 'target':
      return `$${ref.target}.${ref.property}`;
    case 'target-after':
      return `$${ref.target}@${ref.step}${ref.property === 'pfn' ? '' : `.${ref.property}`}`;
  }
}

/** The target a reference reads, if it reads one. */
export function refTarget(ref: ValueRef): string | null {
  return ref.kind === 'target' || ref.kind === 'target-after' ? ref.target : null;
}

/** One reference found in free text, with where it is. */
export interface TextRef {
  /** As written, e.g. `$t0.pfn`. */
  text: string;
  start: number;
  end: number;
  /** The parsed reference, or why the text is not a good one. */
  ref: ValueRef | string;
}

/**
 * Every reference in a shell command or a program argument, in order. Only `$NAME.PROP` and
 * `$NAME@ID[.PROP]` are references there (a bare `$t0` is the shell's variable t0); write
 * `\$t0.pfn` for the text itself, and `$${var}.x` (the shell's `${var}.x`) for a shell
 * variable followed by a dot.
 */
export function findTextRefs(text: string): TextRef[] {
  const found: TextRef[] = [];
  for (const match of text.matchAll(TEXT_REF)) {
    const [whole, name, at, atProperty, property] = match;
    const step = at === undefined ? undefined : at.slice(1);
    const parsed = refOf(whole, name!, step, at === undefined ? property : atProperty);
    found.push({ text: whole, start: match.index, end: match.index + whole.length, ref: parsed });
  }
  return found;
}

/**
 * Replaces every reference of `text` by `value(ref)`; the text around them is kept as
 * written. A reference that does not parse is left as is (lint reports it).
 */
export function replaceTextRefs(text: string, value: (ref: ValueRef, written: string) => string): string {
  let out = '';
  let last = 0;
  for (const found of findTextRefs(text)) {
    if (typeof found.ref === 'string') continue;
    out += text.slice(last, found.start) + value(found.ref, found.text);
    last = found.end;
  }
  return out + text.slice(last);
}
