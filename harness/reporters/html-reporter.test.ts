import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { compareRuns } from '../compare/compare-runs.ts';
import { FIXTURES_DIR, RECORDED, recordedRun } from '../compare/testing/recorded-runs.ts';
import { writeComparison } from '../compare/write-comparison.ts';
import { loadRunRef } from '../results/load-run-ref.ts';
import { readRunResult } from '../results/read-run-result.ts';
import type { RunResult } from '../results/run-result.ts';
import { createReporters } from './create-reporters.ts';
import { shortKernelLabels } from './html/matrix-model.ts';
import { createHtmlReporter, htmlReportLocation, renderHtmlReport } from './html-reporter.ts';
import { replayToReporters } from './replay.ts';
import { recordedNightly } from './testing/recorded-nightly.ts';
import { makeCase, sampleRun } from './testing/sample-run.ts';

let dir: string;

beforeEach(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'memharness-html-'));
});

afterEach(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

async function writeArtifact(relative: string, content: string | Buffer): Promise<void> {
  await fs.mkdir(path.dirname(path.join(dir, relative)), { recursive: true });
  await fs.writeFile(path.join(dir, relative), content);
}

async function render(run: RunResult, options: { maxArtifactBytes?: number; maxTotalArtifactBytes?: number } = {}): Promise<string> {
  const reporter = createHtmlReporter({ outputDir: dir, ...options });
  await replayToReporters(run, reporter);
  return fs.readFile(path.join(dir, 'report.html'), 'utf8');
}

function inline(html: string, tag: 'script' | 'style'): string[] {
  return [...html.matchAll(new RegExp(`<${tag}>([\\s\\S]*?)</${tag}>`, 'g'))].map((match) => match[1]!);
}

describe('html reporter', () => {
  it('escapes guest output: a <script> in a console line stays text', async () => {
    await writeArtifact('cases/0001/console.log', '[    1.0] login:\n<script>alert("pwned")</script>\n<img src=x onerror=alert(1)>\n\x1b[31mred\x1b[0m\n');
    await writeArtifact('cases/0001/dmesg.txt', 'Memory failure: 0x60000: recovery action for free buddy page: Recovered\n');
    const html = await render(sampleRun());
    expect(html).toContain('&lt;script&gt;alert(&quot;pwned&quot;)&lt;/script&gt;');
    expect(html).toContain('&lt;img src=x onerror=alert(1)&gt;');
    expect(html).toContain('\\x1b[31mred\\x1b[0m');
    expect(html).not.toContain('\x1b');
    expect(inline(html, 'script')).toHaveLength(1);
    expect(html.match(/<script/g)).toHaveLength(1);
    expect(html).toContain('Memory failure: 0x60000: recovery action for free buddy page: Recovered');
  });

  it('escapes guest text in attributes and every model field', async () => {
    const run = sampleRun({
      cases: [
        makeCase('failed', {
          title: '"><script>alert(1)</script>',
          parameters: { target: '<b>bold</b>' },
          failure: { message: '</pre><script>x()</script>', expected: '<i>', actual: { html: '<svg onload=alert(1)>' } },
          events: [{ type: 'memory-failure', text: '<script>e()</script>', atMs: 5, field: '<u>' }],
          steps: [{ index: 0, kind: 'shell', location: 's.yaml:3:9', status: 'done', summary: '<i>exit 0</i>', durationMs: 3 }],
          checks: [{ location: 's.yaml:9:9', text: 'shell: stdout: <b>', status: 'failed', xfail: false, message: '<svg onload=alert(2)>' }],
        }),
      ],
    });
    const html = await render(run);
    expect(html.match(/<script/g)).toHaveLength(1);
    // The report's own SVGs are its verdict bars; no other element may come from the data.
    expect(html).not.toMatch(/<(b|i|u)[ >]|<svg (?!class="k?bar")/);
    expect(html).toContain('data-search="hwpoison &quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;');
  });

  it('is self-contained: no network, and only its own inline script and style may run', async () => {
    const html = await render(sampleRun());
    expect(html).not.toMatch(/(src|href)\s*=\s*["']?(https?:)?\/\//i);
    expect(html).not.toMatch(/<link\b/i);
    const csp = /<meta http-equiv="Content-Security-Policy" content="([^"]+)">/.exec(html)![1]!.replace(/&#39;/g, "'");
    const hash = (text: string) => `'sha256-${createHash('sha256').update(text).digest('base64')}'`;
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain(`script-src ${hash(inline(html, 'script')[0]!)}`);
    expect(csp).toContain(`style-src ${hash(inline(html, 'style')[0]!)}`);
  });

  it('has the summary, the filters and every section of a case', async () => {
    await writeArtifact('cases/0001/console.log', 'console text\n');
    const html = await render(sampleRun(), {});
    for (const verdict of ['passed', 'failed', 'xfail', 'xpass', 'skipped', 'crashed', 'infra-error', 'flaky']) {
      expect(html).toContain(`data-filter-verdict="${verdict}"`);
      expect(html).toContain(`data-verdict="${verdict}"`);
    }
    expect(html).toContain('<option value="debian-6.1.0-56-amd64-unsigned">6.1.0-56-amd64</option>');
    expect(html).toContain('<h3>Injections</h3>');
    expect(html).toContain('echo 0x60000 &gt; /sys/kernel/debug/hwpoison/corrupt-pfn');
    expect(html).toContain('<h3>Kernel events</h3>');
    expect(html).toContain('<h3>State diff</h3>');
    expect(html).toContain('<h3>Steps</h3>');
    expect(html).toContain('<h3>Expectations</h3>');
    expect(html).toMatch(/<td class="mono">[^<]*expect\[1\]<\/td><td class="mono">inject: sigbus: none<\/td><td>not-applicable<\/td>/);
    expect(html).toContain('&quot;HardwareCorrupted&quot;');
    expect(html).toContain('<h3>Kernel crash</h3>');
    expect(html).toContain('sysrq_handle_crash+0x1a/0x20');
    expect(html).toContain('<th>expected</th><th>actual</th>');
    expect(html).toContain('console text');
    expect(html).toContain('the file is missing');
  });

  it('shows the infra recoveries of a case, escaped, and none for a case without', async () => {
    const recovered = makeCase('passed', {
      attempts: [{ attempt: 1, verdict: 'passed', durationMs: 5, isolation: 'restore', recoveries: [{ what: 'restore-redone', message: 'restoring the snapshot failed (QEMU said <oops>); a second restore worked' }] }],
    });
    const html = await render(sampleRun({ cases: [recovered, makeCase('failed')] }));
    expect(html).toContain('<h3>Infra recoveries</h3>');
    expect(html).toContain('<li>recovered (attempt 1): restore redone: restoring the snapshot failed (QEMU said &lt;oops&gt;); a second restore worked</li>');
    expect(html.match(/<h3>Infra recoveries<\/h3>/g)).toHaveLength(1);
  });

  it('shows a run that stopped at its suite problems: each with its file:line:col', async () => {
    const html = await render(sampleRun({ cases: [], complete: false, errors: [{ message: 'cases: expected a list', location: 'suites/bad.yaml:2:8' }] }));
    expect(html).toContain('<h2>Errors outside any case</h2>');
    expect(html).toContain('<pre class="run-error">suites/bad.yaml:2:8: cases: expected a list</pre>');
  });

  it('caps console slices, keeping the end, within a budget for the whole report', async () => {
    const big = `${'early line\n'.repeat(20_000)}the oops is at the end\n`;
    await writeArtifact('cases/0001/console.log', big);
    const html = await render(sampleRun(), { maxArtifactBytes: 4096 });
    expect(html).toContain('the oops is at the end');
    expect(html).toContain(`the first ${Buffer.byteLength(big) - 4096} bytes are left out`);
    expect(html.length).toBeLessThan(120_000);

    const starved = await render(sampleRun(), { maxArtifactBytes: 4096, maxTotalArtifactBytes: 100 });
    expect(starved).toContain('the report reached its size limit');
  });

  it('refuses artifact paths that leave the run directory', async () => {
    await fs.writeFile(path.join(path.dirname(dir), 'secret-outside.txt'), 'SECRET');
    const run = sampleRun({ cases: [makeCase('failed', { artifacts: { console: `../secret-outside.txt`, dmesg: '/etc/hostname' } })] });
    try {
      const html = await render(run);
      expect(html).not.toContain('SECRET');
      expect(html.match(/the path leaves the run directory/g)).toHaveLength(2);
    } finally {
      await fs.rm(path.join(path.dirname(dir), 'secret-outside.txt'), { force: true });
    }
  });
});

describe('html reporter: shell steps output', () => {
  // As results.json keeps them: capped and control characters escaped at the source, a cut marked in the text.
  const shell = {
    index: 0,
    kind: 'shell',
    location: 'suites/hwpoison.yaml:30:9',
    status: 'failed' as const,
    summary: 'cat /sys/kernel/mm/hwpoison/missing: exit 1',
    durationMs: 12,
    exit: 1,
    stdout: 'first line\n<script>alert(1)</script>\n',
    stderr: 'cat: /sys/kernel/mm/hwpoison/missing: No such file or directory\n… [4100 bytes cut] …\nlast\n',
  };
  const inject = { index: 1, kind: 'inject', location: 'suites/hwpoison.yaml:34:9', status: 'skipped' as const, summary: 'not run', durationMs: 0 };

  it('shows stdout and stderr escaped, in <pre>, collapsed, with the exit status; a step without them has no output row', async () => {
    const html = await render(sampleRun({ cases: [makeCase('failed', { steps: [shell, inject] })] }));
    expect(html).toContain(
      '<details class="output output-stdout"><summary>stdout <span class="note">2 lines</span></summary><pre>first line\n&lt;script&gt;alert(1)&lt;/script&gt;\n</pre></details>',
    );
    expect(html).toContain('<details class="output output-stderr"><summary>stderr <span class="note">3 lines</span></summary><pre>cat: /sys/kernel/mm/hwpoison/missing: No such file or directory\n… [4100 bytes cut] …\nlast\n</pre></details>');
    expect(html).not.toMatch(/<details class="output[^"]*" open/);
    expect(html).toContain('<td>failed, exit 1</td>');
    expect(html.match(/class="output-row"/g)).toHaveLength(1);
    expect(html.match(/<script/g)).toHaveLength(1);
  });

  it('tolerates results without output (older runs, non-shell steps) and keeps output within the report budget', async () => {
    expect(await render(sampleRun())).not.toContain('class="output-row"');
    const big = { ...shell, stdout: 'x'.repeat(8000), stderr: undefined };
    const html = await render(sampleRun({ cases: [makeCase('failed', { steps: [big, big] })] }), { maxTotalArtifactBytes: 10_000 });
    expect(html).toContain(`<pre>${'x'.repeat(8000)}</pre>`);
    expect(html).toContain('shortened: the report reached its size limit; results.json has the rest');
    expect(html).toContain(`${'x'.repeat(2000)}… (6000 more characters)</pre>`);
  });
});

describe('html reporter: the case × kernel matrix', () => {
  it('opens a run over two kernels on a matrix: a row per case, a cell per kernel with symbol and word, a link to the detail', async () => {
    const { run } = await recordedNightly(dir);
    const html = await render(run);
    expect(html).toContain('<body data-default-view="matrix">');
    expect(html.match(/<tr class="mrow"/g)).toHaveLength(21);
    expect(html.match(/<td class="cell"/g)).toHaveLength(42);
    expect(html.match(/<tbody class="mgroup"/g)).toHaveLength(4);
    expect(html).toContain('<span class="klabel mono">6.1.0-47</span>');
    expect(html).toContain('<span class="klabel mono">6.12.117+deb12</span>');
    // The panic of the self-test crashes both kernels; each cell links to its own result.
    const panics = run.cases.filter((result) => result.key === 'runner-self-test/panics').map((result) => `case-${run.cases.indexOf(result) + 1}`);
    const row = /<tr class="mrow"[^>]*>\s*<th class="case-col" scope="row"><span class="cname" title="a step that panics the guest">[\s\S]*?<\/tr>/.exec(html)![0];
    for (const anchor of panics) expect(row).toContain(`<a class="c v-crashed" href="#${anchor}" title="`);
    expect(row).toContain('<span class="sym">‼</span> crash</a>');
    expect(row).toContain('data-differs="0"');
    // A case that passes on 6.12 only reads so without colour.
    const sigbus = /<tr class="mrow"[^>]*data-differs="1"[^>]*>\s*<th class="case-col" scope="row"><span class="cname" title="madvise\(MADV_HWPOISON\)[\s\S]*?<\/tr>/.exec(html)![0];
    expect(sigbus).toMatch(/<span class="sym">✘<\/span> fail<\/a>[\s\S]*<span class="sym">✓<\/span><\/a>/);
    // The detail of a result links to the same case on the other kernel.
    expect(html).toContain(`<a class="c v-crashed" href="#${panics[1]}" title="6.12.117+deb12-amd64"><span class="mono">6.12.117+deb12</span> ‼ crash</a>`);
  });

  it('opens a run on one kernel on its list, without a matrix', async () => {
    const html = await render((await recordedRun('fixture61')).run);
    expect(html).toContain('<body data-default-view="cases">');
    expect(html).not.toContain('id="view-matrix"');
    expect(html).not.toContain('data-tab="matrix"');
  });

  it("shows compare's categories in the cells, the details and a summary, with the baseline's cases this run lacks", async () => {
    const { run, comparison } = await recordedNightly(dir);
    const html = await renderHtmlReport(run, { runDir: dir, comparison });
    expect(html).toContain('<h2>Compared with the baseline <span class="mono">2026-11-22T05-59-55Z-f03f</span></h2>');
    expect(html).toContain('<li><span class="tag tone-bad">new</span> 3 new crashes</li>');
    expect(html).toContain('<li>5 unchanged</li>');
    expect(html).toContain('<option value="regression">regressions (new failure, new crash)</option>');
    expect(html.match(/<span class="tag tone-bad">new<\/span><\/a>/g)).toHaveLength(3);
    expect(html).toContain('data-category="new-crash"');
    expect(html).toContain('new crash: <span class="mono">new case (kernel 6.1.0-47-amd64 is not in OLD), crashed: kernel panic: sysrq triggered crash</span>');
    expect(html).toContain('<dt>baseline</dt><dd class="mono">failed on 6.12.117+deb12-amd64: ');

    // An interrupted run: what the baseline had and this run did not reach is listed, and marked in its row.
    const interrupted = await recordedRun('fixture612Interrupted');
    const missing = compareRuns(await recordedRun('fixture612'), interrupted);
    const partial = await renderHtmlReport(interrupted.run, { runDir: dir, comparison: missing });
    expect(partial).toContain('6 cases of the baseline are not in this run');
    expect(partial.match(/<td>missing<\/td><td class="mono">was /g)).toHaveLength(6);
  });

  it('shortens kernel labels by what they all share', () => {
    expect(shortKernelLabels(['6.1.0-47-amd64', '6.12.117+deb12-amd64'])).toEqual(['6.1.0-47', '6.12.117+deb12']);
    expect(shortKernelLabels(['6.1.0-47-amd64', '6.1.0-47-cloud-amd64'])).toEqual(['6.1.0-47', '6.1.0-47-cloud']);
    expect(shortKernelLabels(['6.1.0-47-amd64'])).toEqual(['6.1.0-47-amd64']);
    expect(shortKernelLabels(['6.12.1', '6.12.2'])).toEqual(['6.12.1', '6.12.2']);
    expect(shortKernelLabels(['a-amd64', '-amd64'])).toEqual(['a-amd64', '-amd64']);
  });
});

describe('report.html after a comparison', () => {
  async function runDirWithReport(run: RunResult, errors: RunResult['errors'] = []): Promise<void> {
    const reporters = createReporters(['json', 'html'], { outputDir: dir, stdout: { write: () => undefined }, isTTY: false });
    await replayToReporters({ ...run, errors }, reporters);
    expect(reporters.failures).toEqual([]);
  }

  it("compare into the run's own directory makes its report again with the categories, keeping the errors outside any case", async () => {
    const { run } = await recordedNightly(dir);
    await runDirWithReport(run, [{ message: 'preparing the guest failed: <b>qemu</b> exited & "left"' }, { message: 'cases: expected a list', location: 'suites/bad.yaml:2:8' }]);
    // The errors are in results.json, which is all the re-render reads.
    expect((await readRunResult(dir)).errors).toHaveLength(2);
    const before = await fs.readFile(path.join(dir, 'report.html'), 'utf8');
    expect(before).not.toContain('Compared with the baseline');
    const printed: string[] = [];
    const exitCode = await writeComparison(await loadRunRef(path.join(FIXTURES_DIR, RECORDED.fixture612)), await loadRunRef(dir), dir, { write: (text: string) => printed.push(text) });
    expect(exitCode).toBe(1);
    const after = await fs.readFile(path.join(dir, 'report.html'), 'utf8');
    expect(after).toContain('Compared with the baseline');
    expect(after).toContain('<pre class="run-error">preparing the guest failed: &lt;b&gt;qemu&lt;/b&gt; exited &amp; &quot;left&quot;</pre>');
    expect(after).toContain('<pre class="run-error">suites/bad.yaml:2:8: cases: expected a list</pre>');
    expect(printed.join('')).toContain(`${path.join(dir, 'report.html')} (updated with the comparison)\n`);
    // Made again from the same inputs, it is the same file: the re-render is the reporter's own render.
    expect(after).toBe(await renderHtmlReport(await readRunResult(dir), { runDir: dir, comparison: compareRuns(await recordedRun('fixture612'), { run: await readRunResult(dir), ref: dir, file: path.join(dir, 'results.json') }) }));
  });

  it('leaves reports alone: none in the run directory, or compare writing elsewhere', async () => {
    const { run } = await recordedNightly(dir);
    const reporters = createReporters(['json'], { outputDir: dir, stdout: { write: () => undefined }, isTTY: false });
    await replayToReporters(run, reporters);
    const quiet = { write: () => undefined };
    await writeComparison(await loadRunRef(path.join(FIXTURES_DIR, RECORDED.fixture612)), await loadRunRef(dir), dir, quiet);
    await expect(fs.access(path.join(dir, 'report.html'))).rejects.toThrow();

    await runDirWithReport(run);
    const before = await fs.readFile(path.join(dir, 'report.html'), 'utf8');
    await writeComparison(await loadRunRef(path.join(FIXTURES_DIR, RECORDED.fixture612)), await loadRunRef(dir), path.join(dir, 'elsewhere'), quiet);
    expect(await fs.readFile(path.join(dir, 'report.html'), 'utf8')).toBe(before);
  });
});

describe('where run says the report is', () => {
  it("prints the report's file:// URL, only when this run wrote it", async () => {
    const run = sampleRun({ startedAt: new Date(Date.now() - 60_000).toISOString() });
    expect(await htmlReportLocation(dir, run)).toBeNull();
    await replayToReporters(run, createHtmlReporter({ outputDir: dir }));
    expect(await htmlReportLocation(dir, run)).toBe(`\nTo open the HTML report, open this in a browser:\n\n  file://${path.join(dir, 'report.html')}\n\n`);
    // A report left by an earlier run in a reused --output directory is not this run's.
    expect(await htmlReportLocation(dir, { startedAt: new Date(Date.now() + 60_000).toISOString() })).toBeNull();
  });
});
