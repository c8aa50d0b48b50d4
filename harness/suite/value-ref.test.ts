import { describe, expect, it } from 'vitest';
import { resolveRef, type RefValues } from './event-matcher.ts';
import { findTextRefs, formatValueRef, parseValueRef, replaceTextRefs } from './value-ref.ts';

describe('parseValueRef', () => {
  it('reads every form, with the PFN as the default property', () => {
    expect(parseValueRef('$t0')).toEqual({ kind: 'target', target: 't0', property: 'pfn' });
    for (const property of ['pfn', 'vaddr', 'phys', 'block', 'now'] as const) expect(parseValueRef(`$t0.${property}`)).toEqual({ kind: 'target', target: 't0', property });
    expect(parseValueRef('$t0@first')).toEqual({ kind: 'target-after', target: 't0', step: 'first', property: 'pfn' });
    expect(parseValueRef('$t0@soft-1.phys')).toEqual({ kind: 'target-after', target: 't0', step: 'soft-1', property: 'phys' });
    expect(parseValueRef('$helper.pid')).toEqual({ kind: 'helper', property: 'pid' });
    expect(parseValueRef('$p1.pid')).toEqual({ kind: 'program', program: 'p1', property: 'pid' });
    expect(parseValueRef('$p1.comm')).toEqual({ kind: 'program', program: 'p1', property: 'comm' });
  });

  it('says what is wrong with a bad one, and is null for text that is no reference', () => {
    expect(parseValueRef('0x1234')).toBeNull();
    expect(parseValueRef('${target}')).toBeNull();
    expect(parseValueRef('$t0.size')).toMatch(/a target has \.pfn, \.vaddr, \.phys, \.block and \.now, a program \.pid and \.comm/);
    expect(parseValueRef('$t0@x.vaddr')).toMatch(/a target after a step has \.pfn/);
    expect(parseValueRef('$helper')).toMatch(/\$helper needs \.pid or \.comm/);
    expect(parseValueRef('$helper@x.pid')).toMatch(/\$helper needs/);
    expect(parseValueRef('$T0')).toMatch(/is not a reference/);
  });

  it('formats each back as written (the PFN after a step without .pfn)', () => {
    for (const text of ['$t0.pfn', '$t0.now', '$t0.block', '$t0@first', '$t0@first.phys', '$helper.comm', '$p1.pid']) expect(formatValueRef(parseValueRef(text) as never)).toBe(text);
  });
});

describe('references in text', () => {
  it('finds $NAME.PROP and $NAME@ID[.PROP], and leaves shell variables, $$, $1 and escaped ones alone', () => {
    const text = 'x=$x; echo $t0.pfn $t0@first $t0@first.block $$ $1 ${y} \\$t0.pfn $p1.pid.';
    expect(findTextRefs(text).map((found) => found.text)).toEqual(['$t0.pfn', '$t0@first', '$t0@first.block', '$p1.pid']);
  });

  it('reports a shell variable followed by a dot as a bad reference', () => {
    const [found] = findTextRefs('cp $f $f.bak');
    expect(found!.text).toBe('$f.bak');
    expect(typeof found!.ref).toBe('string');
  });

  it('takes the property to the end of the word: $t0.pfnx is no $t0.pfn', () => {
    expect(findTextRefs('$t0.pfnx')[0]!.ref).toMatch(/a target has/);
  });

  it('replaces each reference, keeping the text around it as written', () => {
    const out = replaceTextRefs('echo $t0.pfn > f; kill -USR1 $p1.pid; echo $t0.bogus', (ref) => (ref.kind === 'program' ? '42' : '0x1234'));
    expect(out).toBe('echo 0x1234 > f; kill -USR1 42; echo $t0.bogus');
  });
});

describe('resolveRef', () => {
  const values: RefValues = {
    target: (name) => (name === 't0' ? { pfn: 0x1234n, vaddr: 0x7f0000001000n } : name === 'free' ? { pfn: 0x10000n } : undefined),
    helper: { pid: 7, comm: 'memharness-help' },
    now: (name) => (name === 't0' ? 0x5678n : undefined),
    after: (name, step) => (name === 't0' && step === 'first' ? 0x9abcn : undefined),
    program: (name) => (name === 'p1' ? { pid: 99, comm: 'p1' } : undefined),
    block: (pfn) => `memory${pfn / 0x8000n}`,
  };

  it('gives PFNs and addresses in hex as the kernel prints them, pids in decimal, blocks by name', () => {
    const resolve = (text: string) => resolveRef(parseValueRef(text) as never, values);
    expect(resolve('$t0')).toBe('0x1234');
    expect(resolve('$t0.phys')).toBe('0x1234000');
    expect(resolve('$t0.vaddr')).toBe('0x7f0000001000');
    expect(resolve('$t0.now')).toBe('0x5678');
    expect(resolve('$t0@first')).toBe('0x9abc');
    expect(resolve('$t0@first.phys')).toBe('0x9abc000');
    expect(resolve('$free.block')).toBe('memory2');
    expect(resolve('$helper.pid')).toBe(7);
    expect(resolve('$p1.pid')).toBe(99);
    expect(resolve('$p1.comm')).toBe('p1');
  });

  it('is undefined where the case has no value', () => {
    const resolve = (text: string) => resolveRef(parseValueRef(text) as never, values);
    expect(resolve('$free.vaddr')).toBeUndefined();
    expect(resolve('$t0@second')).toBeUndefined();
    expect(resolve('$p2.pid')).toBeUndefined();
    expect(resolveRef(parseValueRef('$t0.block') as never, { target: values.target })).toBeUndefined();
  });
});
