import { pfnReadsAfterSteps } from '../suite/case-references.ts';
import { resolveRef, type RefValues, type Step, type SuiteCase, type ValueRef } from '../suite/index.ts';
import { formatValueRef, replaceTextRefs } from '../suite/value-ref.ts';
import { blockSizeBytes } from '../vm/memory-devices.ts';
import { refValuesOf, type CaseContext } from './case-context.ts';

/** A reference whose value the case does not have when the step runs (a step that did not run, a page not mapped). */
export class RefUnavailableError extends Error {}

type RefContext = Pick<CaseContext, 'guest' | 'targets' | 'helper' | 'programs' | 'pfnAfterStep' | 'blockSizeBytes'>;

/**
 * The PFN the helper's mapping of a target has now (its pagemap, through the helper); a page
 * the helper does not map has the PFN it was prepared with. Undefined: no page is mapped there
 * now (a poisoned page's PTE is a hwpoison entry, which pagemap does not show as present).
 */
export async function pfnNow(context: Pick<CaseContext, 'targets' | 'helper'>, name: string): Promise<bigint | undefined> {
  const target = context.targets.get(name);
  if (!target) return undefined;
  const owner = target.page.owner;
  if (!owner) return target.page.pfn;
  const pages = await context.helper.pages(owner.name);
  const page = pages.pages[owner.index];
  return page?.pfn ? BigInt(page.pfn) : undefined;
}

/** The reference values for `refs`: what the context knows, plus `$t0.now` read now and the block size when `.block` needs it. */
export async function refValuesFor(context: RefContext, refs: readonly ValueRef[]): Promise<RefValues> {
  if (refs.some((ref) => (ref.kind === 'target' || ref.kind === 'target-after') && ref.property === 'block') && context.blockSizeBytes === undefined) {
    context.blockSizeBytes = await blockSizeBytes(context.guest);
  }
  const now = new Map<string, bigint | undefined>();
  for (const ref of refs) if (ref.kind === 'target' && ref.property === 'now' && !now.has(ref.target)) now.set(ref.target, await pfnNow(context, ref.target));
  return { ...refValuesOf(context), now: (name) => now.get(name) };
}

/** Why a reference has no value here, in words for the step's failure. */
function unavailable(ref: ValueRef, context: RefContext): string {
  switch (ref.kind) {
    case 'target-after':
      return `no PFN was read after step '${ref.step}' (it did not run on this kernel, or ${ref.target} had no page mapped then)`;
    case 'target':
      if (!context.targets.has(ref.target)) return `target ${ref.target} was not prepared`;
      if (ref.property === 'now') return `${ref.target} has no page mapped now (pagemap shows none: the page was poisoned and unmapped, or released)`;
      return `${ref.target} has no ${ref.property}`;
    case 'program':
      return `program ${ref.program} has not run`;
    case 'helper':
      return 'the helper is not running';
  }
}

/**
 * A `shell` command or a program argument with its references replaced by their values as
 * the kernel prints them (PFNs and addresses in hex, 0x...; pids in decimal; `memory5`). A
 * value the case does not have is a RefUnavailableError naming the reference.
 */
export async function substituteRefs(context: RefContext, text: string, refs: readonly ValueRef[]): Promise<string> {
  if (refs.length === 0) return text;
  const values = await refValuesFor(context, refs);
  return replaceTextRefs(text, (ref, written) => {
    const value = resolveRef(ref, values);
    if (value === undefined) throw new RefUnavailableError(`${written} (${formatValueRef(ref)}): ${unavailable(ref, context)}`);
    return String(value);
  });
}

/**
 * After a step with an id: the PFNs the case reads as `$t0@ID` (or `since: ID`), of the
 * targets prepared by then. A page not mapped now records nothing (a later use says so).
 */
export async function recordPfnsAfterStep(context: Pick<CaseContext, 'targets' | 'helper' | 'pfnAfterStep'> & { testCase: Pick<SuiteCase, 'steps' | 'expectations'> }, step: Pick<Step, 'id'>, reads = pfnReadsAfterSteps(context.testCase)): Promise<void> {
  if (step.id === null) return;
  const targets = reads.get(step.id);
  if (!targets) return;
  context.pfnAfterStep ??= new Map();
  for (const name of targets) {
    if (!context.targets.has(name)) continue;
    const pfn = await pfnNow(context, name);
    if (pfn !== undefined) context.pfnAfterStep.set(`${name}@${step.id}`, pfn);
  }
}
