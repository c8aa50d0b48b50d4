import { describe, expect, it } from 'vitest';
import { expandParameters, substituteParameters } from './expand-cases.ts';

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
