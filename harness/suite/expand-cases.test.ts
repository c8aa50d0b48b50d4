import { describe, expect, it } from 'vitest';
import { expandParameters, resolveParameterConditions, substituteParameters } from './expand-cases.ts';

describe('expandParameters', () => {
  it('is the product of the lists in the order written, minus exclusions', () => {
    const expansion = expandParameters({ target: ['free', 'anon'], method: ['debugfs', 'madvise-hwpoison'] }, [{ target: 'free', method: 'madvise-hwpoison', reason: 'no owner' }]);
    expect(expansion).toEqual({
      combinations: [
        { target: 'free', method: 'debugfs' },
        { target: 'anon', method: 'debugfs' },
        { target: 'anon', method: 'madvise-hwpoison' },
      ],
      excluded: 1,
      issues: [],
    });
  });

  it('excludes by a subset of the parameters', () => {
    const expansion = expandParameters({ a: [1, 2], b: ['x', 'y'] }, [{ a: 1 }]);
    expect(expansion.combinations).toEqual([{ a: 2, b: 'x' }, { a: 2, b: 'y' }]);
  });

  it('is one empty combination without parameters', () => {
    expect(expandParameters(undefined, undefined)).toEqual({ combinations: [{}], excluded: 0, issues: [] });
  });

  it('refuses exclusions that cannot match, duplicates, and excluding everything', () => {
    expect(expandParameters({ a: ['x'] }, [{ a: 'y' }]).issues.map((issue) => issue.message)).toEqual(["'y' is not among a's values (x)"]);
    expect(expandParameters({ a: ['x', 'x'] }, undefined).issues.map((issue) => issue.message)).toEqual(["'x' is listed twice"]);
    expect(expandParameters({ a: ['x'] }, [{ a: 'x' }]).issues.map((issue) => issue.message)).toEqual(['exclude: removes every combination; nothing is left to run']);
  });
});

describe('substituteParameters', () => {
  it('replaces ${name} in values, keeps the type of a whole-value placeholder, leaves keys alone', () => {
    const result = substituteParameters({ id: 'c-${n}-${m}', count: '${n}', list: ['${m}', 'x${m}x'], nested: { flag: '${b}' } }, { n: 3, m: 'anon', b: true });
    expect(result.value).toEqual({ id: 'c-3-anon', count: 3, list: ['anon', 'xanonx'], nested: { flag: true } });
    expect([...result.used].sort()).toEqual(['b', 'm', 'n']);
    expect(result.issues).toEqual([]);
  });

  it('writes $${ as a literal ${ and reports unknown or unclosed placeholders where they are', () => {
    const result = substituteParameters({ shell: 'echo $${HOME} ${HOME}', other: 'x ${n' }, { n: 1 });
    expect(result.value).toEqual({ shell: 'echo ${HOME} ${HOME}', other: 'x ${n' });
    expect(result.issues).toEqual([
      { path: ['shell'], message: 'unknown parameter ${HOME} (parameters: n) ($${...} writes a literal ${...})' },
      { path: ['other'], message: "unclosed '${' in 'x ${n' (write $${ for a literal ${)" },
    ]);
  });
});

describe('resolveParameterConditions', () => {
  const listed = { target: ['free', 'anon'], method: ['debugfs', 'mce-srar'] };

  it('decides every when: { parameters } for the combination, keeping the rest of the condition', () => {
    const raw = {
      steps: [{ access: 't0', when: { parameters: { target: 'anon' } }, expect: [{ sigbus: 'none', when: { kernel: '<6.12', parameters: { method: ['debugfs'] } } }] }],
      expect: [{ event: 'mce-logged', when: { parameters: { method: 'mce-srar', target: ['free', 'anon'] } } }],
      xfail: { reason: 'r', reference: 'x', when: { parameters: { target: 'free' } } },
      requires: { kernel: '>=6.1' },
    };
    const result = resolveParameterConditions(raw, { target: 'anon', method: 'debugfs' }, listed);
    expect(result.issues).toEqual([]);
    expect(result.value).toEqual({
      steps: [{ access: 't0', when: { parameters: { holds: true, text: 'target=anon' } }, expect: [{ sigbus: 'none', when: { kernel: '<6.12', parameters: { holds: true, text: 'method=debugfs' } } }] }],
      expect: [{ event: 'mce-logged', when: { parameters: { holds: false, text: 'method=mce-srar, target=free|anon' } } }],
      xfail: { reason: 'r', reference: 'x', when: { parameters: { holds: false, text: 'target=free' } } },
      requires: { kernel: '>=6.1' },
    });
  });

  it('refuses names that are not parameters and values that are not listed', () => {
    const raw = { expect: [{ when: { parameters: { methd: 'debugfs', target: ['anon', 'anno'] } } }, { when: { parameters: [] } }] };
    expect(resolveParameterConditions(raw, { target: 'anon', method: 'debugfs' }, listed).issues).toEqual([
      { path: ['expect', 0, 'when', 'parameters', 'methd'], part: 'key', message: "'methd' is not a parameter of this case (parameters: target, method); did you mean 'method'?" },
      { path: ['expect', 0, 'when', 'parameters', 'target', 1], message: "'anno' is not among target's values (free, anon); did you mean 'anon'?" },
      { path: ['expect', 1, 'when', 'parameters'], message: 'expected a mapping of parameter names to a value or a list of values, e.g. { method: [mce-srao, mce-srar] }' },
    ]);
  });

  it('needs parameters to choose from', () => {
    expect(resolveParameterConditions({ when: { parameters: { target: 'anon' } } }, {}, {}).issues.map((issue) => issue.message)).toEqual([
      'this case has no parameters: a when: { parameters } condition needs parameters: to choose from',
    ]);
  });
});
