import { create } from 'xmlbuilder2';
import type { XMLBuilder } from 'xmlbuilder2/lib/interfaces.js';
import type { CaseResult, KernelInfo, RunResult } from '../results/run-result.ts';
import { caseName, formatParameters, kernelLabel } from './case-naming.ts';
import { attemptLines, failureText, recoveryLines } from './failure-text.ts';
import { caseProblem } from './case-problem.ts';
import { groupByKernelAndSuite, suiteFileOf } from './group-cases.ts';
import { formatRunError, type RunError } from './reporter.ts';
import { capText } from './text/cap-text.ts';
import { escapeControl } from './text/escape-text.ts';
import { seconds } from './text/format-duration.ts';

export interface JunitOptions {
  errors?: readonly RunError[];
  maxBodyChars?: number;
}

const MAX_ATTRIBUTE_CHARS = 1000;

/**
 * xmlbuilder2 leaves anything that looks like an entity reference alone ("&amp;", "&nbsp;"),
 * so guest text holding one would be decoded by readers, or make the file invalid (an
 * undefined entity). Escaping every "&" first turns each into "&amp;", which it then keeps.
 */
function literalAmpersands(text: string): string {
  return text.replace(/&/g, '&amp;');
}

/** XML 1.0 cannot carry most control characters at all: they become visible escapes first. */
function xmlText(text: string, max: number): string {
  return literalAmpersands(capText(escapeControl(text, { multiline: true }), max));
}

function xmlAttr(text: string): string {
  return literalAmpersands(capText(escapeControl(text), MAX_ATTRIBUTE_CHARS));
}

/** Jenkins splits classname at its last dot into package and class: suite, then kernel. */
function classname(suite: string, kernel: KernelInfo): string {
  return `${suite.replace(/\./g, '_')}.${kernelLabel(kernel).replace(/\./g, '_')}`;
}

/** The time stamp Surefire writes (no zone, no fraction): some readers accept nothing else. */
function junitTimestamp(iso: string): string {
  return new Date(iso).toISOString().slice(0, 19);
}

interface Counts {
  tests: number;
  failures: number;
  errors: number;
  skipped: number;
  timeMs: number;
}

function countsOf(cases: readonly CaseResult[]): Counts {
  const counts: Counts = { tests: cases.length, failures: 0, errors: 0, skipped: 0, timeMs: 0 };
  for (const result of cases) {
    counts.timeMs += result.durationMs;
    if (result.verdict === 'failed' || result.verdict === 'xpass') counts.failures++;
    else if (result.verdict === 'crashed' || result.verdict === 'infra-error') counts.errors++;
    else if (result.verdict === 'skipped') counts.skipped++;
  }
  return counts;
}

function countAttributes(counts: Counts): Record<string, string> {
  return {
    tests: String(counts.tests),
    failures: String(counts.failures),
    errors: String(counts.errors),
    skipped: String(counts.skipped),
    time: seconds(counts.timeMs),
  };
}

function suiteProperties(run: RunResult, suite: string, kernel: KernelInfo): Array<[string, string]> {
  const file = suiteFileOf(run, suite);
  const props: Array<[string, string | undefined]> = [
    ['kernel', kernelLabel(kernel)],
    ['kernel.id', kernel.id],
    ['kernel.release', kernel.release],
    ['kernel.debianPackage', kernel.debianPackage],
    ['kernel.debianVersion', kernel.debianVersion],
    ['kernel.upstreamVersion', kernel.upstreamVersion],
    ['qemu', run.qemu],
    ['accel', run.accelerator.accel],
    ['accel.reason', run.accelerator.reason],
    ['harness.version', run.harnessVersion],
    ['run.id', run.runId],
    ['run.startedAt', run.startedAt],
    ['run.complete', String(run.complete)],
    ['run.interrupted', String(run.interrupted)],
    ['host', run.host.hostname],
    ['host.kernel', run.host.kernel],
    ['suite.file', file?.path],
    ['suite.sha256', file?.sha256],
    ['shard', run.shard ? `${run.shard.index}/${run.shard.total}` : undefined],
  ];
  return props.filter((entry): entry is [string, string] => entry[1] !== undefined && entry[1] !== '');
}

/** What the case has besides its verdict, as Jenkins and GitLab show it: system-out. */
function systemOut(result: CaseResult): string {
  const lines: string[] = [];
  if (result.verdict === 'xfail') {
    lines.push(`expected failure${result.reference ? ` (${result.reference})` : ''}: ${caseProblem(result) ?? 'failed as expected'}`);
  }
  if (result.verdict === 'flaky') lines.push(`flaky: ${caseProblem(result) ?? ''}`, ...attemptLines(result.attempts));
  lines.push(...recoveryLines(result.attempts));
  const params = formatParameters(result.parameters);
  if (params) lines.push(`parameters: ${params}`);
  if (result.tags.length > 0) lines.push(`tags: ${result.tags.join(', ')}`);
  if (result.reference && result.verdict !== 'xfail') lines.push(`reference: ${result.reference}`);
  lines.push(`key: ${result.key}`);
  for (const [name, file] of Object.entries(result.artifacts)) {
    // Jenkins' attachments plugin links these; the paths are relative to junit.xml's directory.
    if (file) lines.push(`${name}: ${file}`, `[[ATTACHMENT|${file}]]`);
  }
  return lines.join('\n');
}

function addTestcase(parent: XMLBuilder, result: CaseResult, suite: string, maxBody: number): void {
  const testcase = parent.ele('testcase', {
    classname: xmlAttr(classname(suite, result.kernel)),
    name: xmlAttr(caseName(result)),
    time: seconds(result.durationMs),
  });
  // Element order follows Jenkins' JUnit schema: skipped, error, failure, system-out.
  switch (result.verdict) {
    case 'skipped':
      testcase.ele('skipped', { message: xmlAttr(result.skipReason ?? 'skipped') });
      break;
    case 'crashed':
      testcase
        .ele('error', { type: 'crashed', message: xmlAttr(caseProblem(result) ?? 'kernel crashed') })
        .txt(xmlText(failureText(result), maxBody));
      break;
    case 'infra-error':
      testcase
        .ele('error', { type: 'infra-error', message: xmlAttr(result.failure?.message ?? 'infrastructure error') })
        .txt(xmlText(failureText(result), maxBody));
      break;
    case 'failed':
      testcase
        .ele('failure', { type: xmlAttr(result.failure?.expectation ?? 'failed'), message: xmlAttr(result.failure?.message ?? 'failed') })
        .txt(xmlText(failureText(result), maxBody));
      break;
    case 'xpass':
      testcase
        .ele('failure', { type: 'xpass', message: xmlAttr(caseProblem(result) ?? 'passed, but it was expected to fail') })
        .txt(xmlText(failureText(result), maxBody));
      break;
    case 'passed':
    case 'xfail':
    case 'flaky':
      break;
  }
  testcase.ele('system-out').txt(xmlText(systemOut(result), maxBody));
}

/** `suites/bad.yaml` of `suites/bad.yaml:2:8` (a path may hold colons; the last two parts are line and column). */
function fileOfLocation(location: string): string {
  return location.replace(/:\d+:\d+$/, '');
}

/**
 * Errors outside any case (a suite that would not load, a guest that could not be prepared)
 * would be invisible in a CI's test view, which shows only test cases: each becomes an errored
 * case of a `memharness` suite. A suite problem is named by its file:line:col and carries its
 * file, as GitLab's test report shows it; anything else is an infra error of the run.
 */
function addRunErrors(root: XMLBuilder, run: RunResult, errors: readonly RunError[], id: string, maxBody: number): void {
  const testsuite = root.ele('testsuite', {
    name: 'memharness',
    tests: String(errors.length),
    failures: '0',
    errors: String(errors.length),
    skipped: '0',
    time: '0.000',
    id,
    timestamp: junitTimestamp(run.startedAt),
    hostname: xmlAttr(run.host.hostname || 'localhost'),
  });
  errors.forEach((error, index) => {
    const text = formatRunError(error);
    const testcase = error.location
      ? testsuite.ele('testcase', { classname: 'memharness.suites', name: xmlAttr(error.location), file: xmlAttr(fileOfLocation(error.location)), time: '0.000' })
      : testsuite.ele('testcase', { classname: 'memharness.run', name: `error ${index + 1} outside any case`, time: '0.000' });
    testcase.ele('error', { type: error.location ? 'suite-problem' : 'infra-error', message: xmlAttr(text) }).txt(xmlText(text, maxBody));
  });
}

/**
 * junit.xml as Jenkins and GitLab load it: one <testsuite> per (suite, kernel), a kernel
 * failure as <failure>, a crash or an infra error as <error> with its own type, xfail and
 * flaky as passes with a note, the run's kernel/QEMU/accelerator as properties.
 */
export function buildJunitXml(run: RunResult, options: JunitOptions = {}): string {
  const maxBody = options.maxBodyChars ?? 64 * 1024;
  const doc = create({ version: '1.0', encoding: 'UTF-8' });
  const errors = options.errors ?? [];
  const totals = countsOf(run.cases);
  const root = doc.ele('testsuites', {
    name: xmlAttr(`memharness ${run.runId}`),
    ...countAttributes({ ...totals, tests: totals.tests + errors.length, errors: totals.errors + errors.length }),
  });
  let id = 0;
  for (const group of groupByKernelAndSuite(run)) {
    for (const { suite, cases } of group.suites) {
      const file = suiteFileOf(run, suite);
      const testsuite = root.ele('testsuite', {
        name: xmlAttr(`${suite} @ ${kernelLabel(group.kernel)}`),
        ...countAttributes(countsOf(cases)),
        id: String(id++),
        package: xmlAttr(suite),
        timestamp: junitTimestamp(run.startedAt),
        hostname: xmlAttr(run.host.hostname || 'localhost'),
        ...(file ? { file: xmlAttr(file.path) } : {}),
      });
      const properties = testsuite.ele('properties');
      for (const [name, value] of suiteProperties(run, suite, group.kernel)) properties.ele('property', { name, value: xmlAttr(value) });
      for (const result of cases) addTestcase(testsuite, result, suite, maxBody);
    }
  }
  if (errors.length > 0) addRunErrors(root, run, errors, String(id), maxBody);
  return doc.end({ prettyPrint: true });
}
