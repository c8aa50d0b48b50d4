import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { describe, expect, it } from 'vitest';
import { buildJunitXml } from './junit-xml.ts';
import { makeCase, sampleRun } from './testing/sample-run.ts';

type Attrs = Record<string, string>;
interface Node {
  name: string;
  attrs: Attrs;
  text: string;
  children: Node[];
}

/** The document as a tree in element order (fast-xml-parser's preserveOrder form, simplified). */
function parseTree(xml: string): Node {
  const parser = new XMLParser({ preserveOrder: true, ignoreAttributes: false, attributeNamePrefix: '', parseAttributeValue: false, parseTagValue: false, trimValues: false });
  const convert = (entry: Record<string, unknown>): Node | null => {
    const name = Object.keys(entry).find((key) => key !== ':@' && key !== '#text');
    if (!name) return null;
    const raw = entry[name] as Array<Record<string, unknown>>;
    const children = raw.map(convert).filter((node): node is Node => node !== null);
    const text = raw.filter((item) => '#text' in item).map((item) => String(item['#text'])).join('');
    return { name, attrs: (entry[':@'] as Attrs | undefined) ?? {}, text, children };
  };
  const top = (parser.parse(xml) as Array<Record<string, unknown>>).map(convert).filter((node): node is Node => node !== null && node.name !== '?xml');
  expect(top).toHaveLength(1);
  return top[0]!;
}

/**
 * The shape Jenkins' JUnit schema (junit-10.xsd of the xunit plugin) and GitLab's parser expect,
 * restated: required attributes, allowed children and their order.
 */
const CHILD_ORDER: Record<string, string[]> = {
  testsuites: ['testsuite'],
  testsuite: ['properties', 'testcase', 'system-out', 'system-err'],
  properties: ['property'],
  testcase: ['skipped', 'error', 'failure', 'system-out', 'system-err'],
};
const REQUIRED: Record<string, string[]> = {
  testsuite: ['name', 'tests'],
  testcase: ['name', 'classname', 'time'],
  property: ['name', 'value'],
  failure: ['message', 'type'],
  error: ['message', 'type'],
};

function checkShape(node: Node): void {
  for (const attr of REQUIRED[node.name] ?? []) expect(node.attrs, `<${node.name}> needs ${attr}`).toHaveProperty(attr);
  const order = CHILD_ORDER[node.name];
  if (!order) {
    expect(node.children, `<${node.name}> has no child elements`).toEqual([]);
    return;
  }
  let last = -1;
  for (const child of node.children) {
    const position = order.indexOf(child.name);
    expect(position, `<${child.name}> inside <${node.name}>`).toBeGreaterThanOrEqual(0);
    expect(position, `<${child.name}> after ${order[last]} in <${node.name}>`).toBeGreaterThanOrEqual(last);
    last = position;
    checkShape(child);
  }
}

const byName = (node: Node, name: string) => node.children.filter((child) => child.name === name);

describe('buildJunitXml', () => {
  const xml = buildJunitXml(sampleRun());
  const root = parseTree(xml);
  const suites = byName(root, 'testsuite');
  const cases = suites.flatMap((suite) => byName(suite, 'testcase'));
  const caseNamed = (title: string) => cases.find((node) => node.attrs.name!.startsWith(title))!;

  it('is well-formed XML in the shape Jenkins and GitLab load', () => {
    expect(XMLValidator.validate(xml)).toBe(true);
    expect(root.name).toBe('testsuites');
    checkShape(root);
  });

  it('has one testsuite per (suite, kernel) with the right counts', () => {
    expect(suites.map((suite) => suite.attrs.name)).toEqual([
      'hwpoison @ 6.12.117+deb12-amd64',
      'mce @ 6.12.117+deb12-amd64',
      'mce @ 6.1.0-56-amd64',
      'hwpoison @ 6.1.0-56-amd64',
    ]);
    for (const suite of suites) {
      const testcases = byName(suite, 'testcase');
      expect(Number(suite.attrs.tests)).toBe(testcases.length);
      expect(Number(suite.attrs.failures)).toBe(testcases.filter((node) => byName(node, 'failure').length).length);
      expect(Number(suite.attrs.errors)).toBe(testcases.filter((node) => byName(node, 'error').length).length);
      expect(Number(suite.attrs.skipped)).toBe(testcases.filter((node) => byName(node, 'skipped').length).length);
    }
    expect(root.attrs).toMatchObject({ tests: '8', failures: '2', errors: '2', skipped: '1' });
  });

  it('maps every verdict', () => {
    expect(byName(caseNamed('passed case'), 'failure')).toEqual([]);
    const failure = byName(caseNamed('failed case'), 'failure')[0]!;
    expect(failure.attrs).toEqual({ type: 'event memory-failure result=Recovered', message: 'no memory-failure event with result=Recovered' });
    expect(failure.text).toContain('actual: {');
    expect(byName(caseNamed('xpass case'), 'failure')[0]!.attrs.type).toBe('xpass');
    expect(byName(caseNamed('skipped case'), 'skipped')[0]!.attrs.message).toBe('needs hugetlb pages (nr_hugepages=0)');
    const crash = byName(caseNamed('crashed case'), 'error')[0]!;
    expect(crash.attrs.type).toBe('crashed');
    expect(crash.text).toContain('Kernel panic - not syncing: sysrq triggered crash');
    expect(crash.text).toContain(' <TASK>');
    expect(byName(caseNamed('infra-error case'), 'error')[0]!.attrs).toEqual({ type: 'infra-error', message: 'guest unreachable over SSH after 120 s' });
    const xfail = caseNamed('xfail case');
    expect(xfail.children.map((child) => child.name)).toEqual(['system-out']);
    expect(byName(xfail, 'system-out')[0]!.text).toMatch(/^expected failure \(https:\/\/lore/);
    const flaky = caseNamed('flaky case');
    expect(flaky.children.map((child) => child.name)).toEqual(['system-out']);
    expect(byName(flaky, 'system-out')[0]!.text).toContain('attempt 1 (restore): failed: event came 2 s late');
  });

  it('names cases so two kernels never collide, and lists artifacts and kernel properties', () => {
    const identities = cases.map((node) => `${node.attrs.classname}/${node.attrs.name}`);
    expect(new Set(identities).size).toBe(identities.length);
    expect(caseNamed('passed case').attrs.classname).toBe('hwpoison.6_12_117+deb12-amd64');
    expect(byName(caseNamed('passed case'), 'system-out')[0]!.text).toContain('[[ATTACHMENT|cases/0001/console.log]]');
    const properties = Object.fromEntries(byName(byName(suites[0]!, 'properties')[0]!, 'property').map((node) => [node.attrs.name, node.attrs.value]));
    expect(properties).toMatchObject({ 'kernel.id': 'debian-6.12.117+deb12-amd64-unsigned', qemu: 'QEMU emulator version 7.2.19', accel: 'tcg' });
  });

  it('turns control characters and markup from the guest into text, not XML', () => {
    const evil = sampleRun({
      cases: [
        makeCase('failed', {
          failure: { message: 'oops \x1b[31m\x00\x07 </failure><x>&amp; ]]>', actual: 'a&nbsp;b &#x41; &undefined;' },
          title: 'a "quoted" <title> &nbsp;',
        }),
      ],
    });
    const text = buildJunitXml(evil);
    expect(XMLValidator.validate(text)).toBe(true);
    const failure = byName(byName(byName(parseTree(text), 'testsuite')[0]!, 'testcase')[0]!, 'failure')[0]!;
    expect(failure.attrs.message).toBe('oops \\x1b[31m\\x00\\x07 </failure><x>&amp; ]]>');
    expect(failure.text).toContain('actual: a&nbsp;b &#x41; &undefined;');
    expect(byName(byName(parseTree(text), 'testsuite')[0]!, 'testcase')[0]!.attrs.name).toMatch(/^a "quoted" <title> &nbsp;/);
    expect(text).not.toMatch(/[\x00-\x08\x0b\x0c\x0e-\x1f]/);
  });

  it('makes errors outside any case visible as errored cases', () => {
    const text = buildJunitXml(sampleRun({ cases: [] }), { errors: [{ message: 'kernel 6.13 not found' }] });
    const tree = parseTree(text);
    checkShape(tree);
    expect(tree.attrs).toMatchObject({ tests: '1', errors: '1' });
    expect(byName(byName(byName(tree, 'testsuite')[0]!, 'testcase')[0]!, 'error')[0]!.attrs).toEqual({ type: 'infra-error', message: 'kernel 6.13 not found' });
  });

  it('names a suite problem by its file:line:col, with its file, as an errored case', () => {
    const run = sampleRun({ cases: [], kernels: [], errors: [{ message: 'cases: expected a list', location: 'suites/bad.yaml:2:8' }] });
    const text = buildJunitXml(run, { errors: run.errors });
    const tree = parseTree(text);
    checkShape(tree);
    expect(tree.attrs).toMatchObject({ tests: '1', errors: '1', failures: '0' });
    const testcase = byName(byName(tree, 'testsuite')[0]!, 'testcase')[0]!;
    expect(testcase.attrs).toMatchObject({ classname: 'memharness.suites', name: 'suites/bad.yaml:2:8', file: 'suites/bad.yaml' });
    const error = byName(testcase, 'error')[0]!;
    expect(error.attrs).toEqual({ type: 'suite-problem', message: 'suites/bad.yaml:2:8: cases: expected a list' });
    expect(error.text).toBe('suites/bad.yaml:2:8: cases: expected a list');
  });
});
