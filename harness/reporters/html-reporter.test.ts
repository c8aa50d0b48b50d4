import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { RunResult } from '../results/run-result.ts';
import { createHtmlReporter } from './html-reporter.ts';
import { replayToReporters } from './replay.ts';
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
    expect(html).not.toMatch(/<(b|i|u|svg)[ >]/);
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
