import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { XMLValidator } from 'fast-xml-parser';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mergeRunResults } from '../results/merge-run-results.ts';
import { readRunResult } from '../results/read-run-result.ts';
import { HarnessError } from '../util/errors.ts';
import { createReporters, DEFAULT_REPORTERS, parseReporterNames } from './create-reporters.ts';
import { replayToReporters } from './replay.ts';
import { checkKtap } from './testing/ktap-v1-checker.ts';
import { sampleRun } from './testing/sample-run.ts';

let dir: string;
beforeEach(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'memharness-reporters-'));
});
afterEach(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

function stdout() {
  const chunks: string[] = [];
  return { chunks, write: (text: string) => chunks.push(text) };
}

describe('parseReporterNames', () => {
  it('splits commas, drops blanks and duplicates', () => {
    expect(parseReporterNames(['list,junit', ' ktap ,', 'list'])).toEqual(['list', 'junit', 'ktap']);
    expect(parseReporterNames('html')).toEqual(['html']);
  });

  it('names the unknown reporters and lists the real ones', () => {
    const call = () => parseReporterNames(['list,xml,dot']);
    expect(call).toThrow(HarnessError);
    expect(call).toThrow('unknown reporters: "xml", "dot"');
    try {
      call();
    } catch (error) {
      expect((error as HarnessError).details.hint).toBe('the reporters are list, json, junit, ktap, html, kcidb (e.g. --reporter list,junit)');
      expect((error as HarnessError).kind).toBe('usage');
    }
  });
});

describe('createReporters', () => {
  it('always includes the results writer, first, and the terminal last', () => {
    const names = (list: string[], always?: boolean) =>
      createReporters(list, { outputDir: dir, stdout: stdout(), isTTY: false, alwaysWriteResults: always }).reporters.map((reporter) => reporter.name);
    expect(names(['list', 'html'])).toEqual(['json', 'html', 'list']);
    expect(names(['junit'], false)).toEqual(['junit']);
    expect(names(['list', 'json', 'junit', 'ktap', 'html'])).toEqual(['json', 'junit', 'ktap', 'html', 'list']);
  });

  it('by default writes results.json and report.html, and prints to the terminal', () => {
    expect(DEFAULT_REPORTERS).toEqual(['list', 'json', 'html']);
    const reporters = createReporters(DEFAULT_REPORTERS, { outputDir: dir, stdout: stdout(), isTTY: false });
    expect(reporters.reporters.map((reporter) => reporter.name)).toEqual(['json', 'html', 'list']);
  });

  it('regenerates every output from a merged RunResult', async () => {
    const out = stdout();
    const shards = [
      sampleRun({ runId: '2026-11-22T03-25-00Z-0001', shard: { index: 1, total: 2 }, cases: sampleRun().cases.slice(0, 4) }),
      sampleRun({ runId: '2026-11-22T03-25-00Z-0002', shard: { index: 2, total: 2 }, cases: sampleRun().cases.slice(4) }),
    ];
    const merged = mergeRunResults(shards);
    const reporters = createReporters(['list', 'junit', 'ktap', 'html'], { outputDir: dir, stdout: out, isTTY: false, colours: false });
    await replayToReporters(merged, reporters);
    expect(reporters.failures).toEqual([]);
    expect((await fs.readdir(dir)).sort()).toEqual(['junit.xml', 'report.html', 'results.json', 'results.ktap']);
    expect(await readRunResult(dir)).toEqual(merged);
    expect(XMLValidator.validate(await fs.readFile(path.join(dir, 'junit.xml'), 'utf8'))).toBe(true);
    expect(checkKtap(await fs.readFile(path.join(dir, 'results.ktap'), 'utf8')).results).toHaveLength(2);
    expect(await fs.readFile(path.join(dir, 'report.html'), 'utf8')).toContain('<h3>Kernel crash</h3>');
    expect(out.chunks.join('')).toContain('8 cases on 2 kernels in 6m 13s');
    expect(reporters.printsToStdio()).toBe(true);
  });
});
