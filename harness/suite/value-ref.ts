/**
 * `$name` references: values only known once the case runs. `$t0` (or `$t0.pfn`) is the PFN
 * the target had when it was prepared (the page injected into; soft offline later moves the
 * data, not this number), `$t0.vaddr` its address in the helper, `$t0.phys` its physical
 * address; `$helper.pid` and `$helper.comm` name the guest helper process.
 */
export type ValueRef =
  | { kind: 'target'; target: string; property: TargetProperty }
  | { kind: 'helper'; property: 'pid' | 'comm' };

export type TargetProperty = 'pfn' | 'vaddr' | 'phys';

export const TARGET_NAME = /^[a-z][a-z0-9_]{0,31}$/;
/** Reserved: `$helper` is the helper process, never a target. */
export const HELPER_REF_NAME = 'helper';

const REF = /^\$([a-z][a-z0-9_]{0,31})(?:\.([a-z]+))?$/;

/** Parses a reference; null when the text is not one at all, a message when it is a bad one. */
export function parseValueRef(text: string): ValueRef | string | null {
  if (!text.startsWith('$') || text.startsWith('${')) return null;
  const match = REF.exec(text);
  if (!match) return `'${text}' is not a reference; write $t0, $t0.pfn, $t0.vaddr, $t0.phys, $helper.pid or $helper.comm`;
  const [, name, property] = match;
  if (name === HELPER_REF_NAME) {
    if (property === 'pid' || property === 'comm') return { kind: 'helper', property };
    return `$helper needs .pid or .comm`;
  }
  if (property === undefined || property === 'pfn' || property === 'vaddr' || property === 'phys') return { kind: 'target', target: name!, property: property ?? 'pfn' };
  return `'${text}': a target has .pfn, .vaddr and .phys`;
}

export function formatValueRef(ref: ValueRef): string {
  return ref.kind === 'helper' ? `$helper.${ref.property}` : `$${ref.target}.${ref.property}`;
}
