import { conditionHolds, valueMatches, type KernelFacts, type RefValues, type SigbusMatcher, type Step, type StepOutcome } from '../suite/index.ts';
import type { SigbusInfo } from '../guest-helper/helper-messages.ts';
import { describeProgramSigbus, programSigbusMatches, type ProgramSigbus } from './programs/program-sigbus.ts';
import type { StepResult } from './step-result.ts';

export interface OutcomeMismatch {
  message: string;
  expected: unknown;
  actual: unknown;
  /** The outcome item was marked xfail (and its condition holds): a mismatch is expected. */
  xfail: boolean;
}

/** One `expect:` item of the step and what became of it on this kernel. */
export interface OutcomeItem {
  index: number;
  text: string;
  status: 'passed' | 'failed' | 'not-applicable';
  xfail: boolean;
  message?: string;
}

export interface OutcomeCheck {
  mismatches: OutcomeMismatch[];
  /** Outcome items marked xfail that matched anyway. */
  unexpectedPasses: string[];
  items: OutcomeItem[];
}

/**
 * An item as written, with references left unresolved ($t0.vaddr, not an address): the same
 * item reads the same on every kernel, so two kernels' items can be set side by side.
 */
export function describeOutcomeItem(outcome: StepOutcome): string {
  const parts: string[] = [];
  for (const [field, value] of Object.entries(outcome)) {
    if (field === 'when' || field === 'xfail' || value === undefined) continue;
    if (field === 'sigbus' && value !== 'none') {
      parts.push(`sigbus: ${describeSigbusMatcher(value as SigbusMatcher, null)}`);
      continue;
    }
    parts.push(`${field}: ${typeof value === 'string' ? value : JSON.stringify(value)}`);
  }
  return parts.join(', ');
}

/** Checks a step's result against its `expect:` items that apply on this kernel. */
export function checkStepOutcome(step: Step, result: StepResult, facts: KernelFacts, refs: RefValues): OutcomeCheck {
  const check: OutcomeCheck = { mismatches: [], unexpectedPasses: [], items: [] };
  step.expect.forEach((outcome, index) => {
    const text = describeOutcomeItem(outcome);
    if (!conditionHolds(outcome.when, facts)) {
      check.items.push({ index, text, status: 'not-applicable', xfail: false });
      return;
    }
    const xfail = outcome.xfail !== null && conditionHolds(outcome.xfail.when, facts);
    const found = outcomeMismatches(outcome, result, refs);
    check.items.push({ index, text, status: found.length > 0 ? 'failed' : 'passed', xfail, ...(found.length > 0 ? { message: found.map((m) => m.message).join('; ') } : {}) });
    if (found.length > 0) check.mismatches.push(...found.map((mismatch) => ({ ...mismatch, xfail })));
    else if (xfail) check.unexpectedPasses.push(`step outcome marked xfail (${outcome.xfail!.reason}) passed`);
  });
  return check;
}

function outcomeMismatches(outcome: StepOutcome, result: StepResult, refs: RefValues): Array<Omit<OutcomeMismatch, 'xfail'>> {
  const out: Array<Omit<OutcomeMismatch, 'xfail'>> = [];
  const did = result.summary;
  if (outcome.ok !== undefined && result.ok !== outcome.ok) out.push({ message: `expected the step to ${outcome.ok ? 'succeed' : 'fail'}, but ${did}`, expected: { ok: outcome.ok }, actual: { ok: result.ok ?? null } });
  if (outcome.errno !== undefined && (result.errno ?? null) !== outcome.errno) {
    out.push({ message: `expected errno ${outcome.errno ?? 'none'}, got ${result.errno ?? 'none'} (${did})`, expected: { errno: outcome.errno }, actual: { errno: result.errno ?? null } });
  }
  if (outcome.sigbus !== undefined && result.programSigbus !== undefined) out.push(...programSigbusMismatches(outcome.sigbus, result.programSigbus, refs, did));
  else if (outcome.sigbus !== undefined) {
    const got = result.sigbus ?? null;
    if (outcome.sigbus === 'none') {
      if (got) out.push({ message: `expected no SIGBUS, got ${describeSigbus(got)}`, expected: { sigbus: 'none' }, actual: { sigbus: got } });
    } else if (!got || !sigbusMatches(outcome.sigbus, got, refs)) {
      out.push({ message: `expected SIGBUS ${describeSigbusMatcher(outcome.sigbus, refs)}, got ${got ? describeSigbus(got) : 'none'} (${did})`, expected: { sigbus: describeSigbusMatcher(outcome.sigbus, refs) }, actual: { sigbus: got } });
    }
  }
  if (outcome.exit !== undefined && result.exit !== outcome.exit) {
    out.push({ message: `expected exit status ${outcome.exit}, got ${result.exit ?? 'none'}${result.signal ? ` (killed by ${result.signal})` : ''}${result.stderr ? `; stderr: ${result.stderr.trim().slice(0, 300)}` : ''}`, expected: { exit: outcome.exit }, actual: { exit: result.exit ?? null, stdout: result.stdout?.slice(0, 500), stderr: result.stderr?.slice(0, 500) } });
  }
  for (const stream of ['stdout', 'stderr'] as const) {
    const pattern = outcome[stream];
    // Multiline: ^ and $ are line ends, so '^poisoned 0x[0-9a-f]+$' matches the line a command
    // printed with its newline (and one line among several), as a reader of the YAML expects.
    if (pattern !== undefined && !new RegExp(pattern, 'm').test(result[stream] ?? '')) {
      out.push({ message: `expected ${stream} to match /${pattern}/, got ${JSON.stringify((result[stream] ?? '').slice(0, 300))}`, expected: { [stream]: pattern }, actual: { [stream]: result[stream] ?? null } });
    }
  }
  if (outcome.intact !== undefined && result.intact !== outcome.intact) out.push({ message: `expected the data to be ${outcome.intact ? 'intact' : 'corrupt'}, ${did}`, expected: { intact: outcome.intact }, actual: { intact: result.intact ?? null } });
  if (outcome.reason !== undefined && !new RegExp(outcome.reason).test(result.reason ?? '')) {
    out.push({ message: `expected the reason to match /${outcome.reason}/, got ${result.reason ? JSON.stringify(result.reason.slice(0, 400)) : 'none'} (${did})`, expected: { reason: outcome.reason }, actual: { reason: result.reason ?? null } });
  }
  for (const field of ['pluggedMiB', 'node', 'fromNode'] as const) {
    const want = outcome[field];
    if (want !== undefined && result[field] !== want) out.push({ message: `expected ${field} ${want}, got ${result[field] ?? 'none'} (${did})`, expected: { [field]: want }, actual: { [field]: result[field] ?? null } });
  }
  if (outcome.signal !== undefined && (result.signal ?? null) !== outcome.signal) {
    out.push({ message: `expected ${outcome.signal ? `it to be killed by ${outcome.signal}` : 'no signal to end it'}, ${did}`, expected: { signal: outcome.signal ?? 'none' }, actual: { signal: result.signal ?? null, exit: result.exit ?? null } });
  }
  if (outcome.running !== undefined && result.running !== outcome.running) {
    out.push({ message: `expected it ${outcome.running ? 'to be still running when the steps ended' : 'to have ended by itself before the steps ended'}, ${did}`, expected: { running: outcome.running }, actual: { running: result.running ?? null } });
  }
  if (outcome.state !== undefined && result.state !== outcome.state) out.push({ message: `expected the block's state to read back ${outcome.state}, got ${result.state ?? 'nothing'}`, expected: { state: outcome.state }, actual: { state: result.state ?? null } });
  return out;
}

/** `sigbus:` on a program: over the SIGBUS lines the kernel's log has for it. */
function programSigbusMismatches(want: SigbusMatcher | 'none', got: readonly ProgramSigbus[], refs: RefValues, did: string): Array<Omit<OutcomeMismatch, 'xfail'>> {
  const seen = got.length > 0 ? got.map(describeProgramSigbus).join(' | ') : 'none';
  if (want === 'none') return got.length === 0 ? [] : [{ message: `expected no SIGBUS, the kernel's log has ${seen}`, expected: { sigbus: 'none' }, actual: { sigbus: got } }];
  if (got.some((one) => programSigbusMatches(want, one, refs))) return [];
  return [{ message: `expected SIGBUS ${describeSigbusMatcher(want, refs)}; the kernel's log has ${seen} (${did})`, expected: { sigbus: describeSigbusMatcher(want, refs) }, actual: { sigbus: got } }];
}

export function sigbusMatches(matcher: SigbusMatcher, got: SigbusInfo & { async?: boolean }, refs: RefValues): boolean {
  if (matcher.code !== null && got.codeName !== matcher.code) return false;
  if (matcher.lsb !== null && got.lsb !== matcher.lsb) return false;
  if (matcher.async !== null && (got.async ?? false) !== matcher.async) return false;
  if (matcher.addr !== null && !valueMatches(matcher.addr, got.addr, refs)) return false;
  return true;
}

export function describeSigbus(got: SigbusInfo & { async?: boolean }): string {
  return `${got.codeName} at ${got.addr} (lsb ${got.lsb}${got.async ? ', asynchronous' : ''})`;
}

/** With `refs` null, a reference is shown as written ($t0.vaddr) rather than resolved. */
export function describeSigbusMatcher(matcher: SigbusMatcher, refs: RefValues | null): string {
  const parts = [matcher.code ?? 'any code'];
  if (matcher.addr) {
    parts.push(`at ${resolveForText(matcher.addr, refs)}`);
  }
  if (matcher.lsb !== null) parts.push(`lsb ${matcher.lsb}`);
  if (matcher.async !== null) parts.push(matcher.async ? 'asynchronous' : 'synchronous');
  return parts.join(' ');
}

import { resolveRef, type ValueMatcher } from '../suite/index.ts';
import { formatValueRef } from '../suite/value-ref.ts';

export function resolveForText(matcher: ValueMatcher, refs: RefValues | null): string {
  if (matcher.kind === 'regex') return `/${matcher.pattern}/`;
  if (matcher.kind === 'equals') return String(matcher.value);
  if (refs === null) return formatValueRef(matcher.ref);
  const value = resolveRef(matcher.ref, refs);
  return `${formatValueRef(matcher.ref)}=${value ?? '?'}`;
}
