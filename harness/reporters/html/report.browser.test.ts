import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import puppeteer, { type Browser, type Page } from 'puppeteer-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunResult } from '../../results/run-result.ts';
import { caseName } from '../case-naming.ts';
import { addComparisonToHtmlReport, createHtmlReporter } from '../html-reporter.ts';
import { replayToReporters } from '../replay.ts';
import { ensureChromium } from '../testing/chromium.ts';
import { recordedNightly } from '../testing/recorded-nightly.ts';
import { makeCase, sampleRun } from '../testing/sample-run.ts';

// report.html as a person sees it: Debian's Chromium, headless, driven over CDP by
// puppeteer-core (which brings no browser of its own). The reports are made from recorded
// runs, the way `run --baseline` leaves them: the reporter writes one during the run, then
// the comparison makes it again with compare's categories.

/** Where the lead looks at the matrix without running anything. */
const SHARED_SCREENSHOT = '/tmp/memharness-matrix.png';

let browser: Browser;
let tmp: string;

beforeAll(async () => {
  const executablePath = await ensureChromium();
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'memharness-browser-'));
  // Root (CI, this machine) cannot use Chromium's sandbox; the page is our own file, offline.
  browser = await puppeteer.launch({ executablePath, headless: true, args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'] });
});

afterAll(async () => {
  await browser?.close();
  if (tmp) await fs.rm(tmp, { recursive: true, force: true });
});

/** A page on the report, with every console error and script error it raises (a CSP refusal is one). */
async function openReport(file: string, hash = ''): Promise<{ page: Page; problems: string[] }> {
  const page = await browser.newPage();
  const problems: string[] = [];
  page.on('console', (message) => {
    if (message.type() === 'error') problems.push(message.text());
  });
  page.on('pageerror', (error) => problems.push(error instanceof Error ? error.message : String(error)));
  await page.setViewport({ width: 1400, height: 1000 });
  await page.goto(`file://${file}${hash}`, { waitUntil: 'load' });
  return { page, problems };
}

// Shown: rendered and not in a closed <details> (checkVisibility, not layout boxes, tells that).

/** The matrix rows a person sees, as "suite › case". */
function shownRows(page: Page): Promise<string[]> {
  return page.$$eval('tr.mrow', (rows) => rows.filter((row) => row.checkVisibility()).map((row) => `${row.getAttribute('data-suite')} › ${row.querySelector('.cname')!.textContent}`));
}

function shownCases(page: Page): Promise<string[]> {
  return page.$$eval('details.case', (cases) => cases.filter((element) => element.checkVisibility()).map((element) => element.id));
}

function isShown(page: Page, selector: string): Promise<boolean> {
  return page.$eval(selector, (element) => element.checkVisibility());
}

function rowName(result: Pick<RunResult['cases'][number], 'suite' | 'title' | 'parameters' | 'repeatIndex'>): string {
  return `${result.suite} › ${caseName(result)}`;
}

/** The rows (case, repeat) of the results kept, as the run recorded them. */
function rowsWith(run: RunResult, keep: (result: RunResult['cases'][number]) => boolean): string[] {
  return [...new Set(run.cases.filter(keep).map(rowName))].sort();
}

async function setVerdicts(page: Page, wanted: readonly string[]): Promise<void> {
  for (const box of await page.$$('input[data-filter-verdict]')) {
    const verdict = await box.evaluate((element) => element.getAttribute('data-filter-verdict')!);
    const checked = await box.evaluate((element) => (element as HTMLInputElement).checked);
    if (checked !== wanted.includes(verdict)) await box.click();
  }
}

describe('report.html in headless Chromium', () => {
  it('opens a nightly over two kernels on its matrix; verdict, suite and baseline filters hide and show rows; a cell opens its case', async () => {
    const dir = path.join(tmp, 'nightly');
    await fs.mkdir(dir);
    const { run, comparison } = await recordedNightly(dir);
    await replayToReporters(run, createHtmlReporter({ outputDir: dir }));
    expect(await addComparisonToHtmlReport(dir, run, comparison)).toBe(path.join(dir, 'report.html'));

    const { page, problems } = await openReport(path.join(dir, 'report.html'));
    const allRows = rowsWith(run, () => true);
    expect(allRows).toHaveLength(21);
    expect(await isShown(page, '#view-matrix')).toBe(true);
    expect(await isShown(page, '#view-cases')).toBe(false);
    expect((await shownRows(page)).sort()).toEqual(allRows);
    await page.screenshot({ path: path.join(dir, 'matrix.png'), fullPage: true });
    await fs.copyFile(path.join(dir, 'matrix.png'), SHARED_SCREENSHOT);

    // Verdicts: only "crashed" keeps the cases that crash some kernel, with all their cells.
    await setVerdicts(page, ['crashed']);
    const crashing = rowsWith(run, (result) => result.verdict === 'crashed');
    expect(crashing.length).toBeGreaterThan(1);
    expect((await shownRows(page)).sort()).toEqual(crashing);
    expect(await page.$eval('#shown-count', (element) => element.textContent)).toBe(String(crashing.length));
    await setVerdicts(page, ['failed', 'xpass']);
    expect((await shownRows(page)).sort()).toEqual(rowsWith(run, (result) => result.verdict === 'failed' || result.verdict === 'xpass'));
    await page.click('#show-all');
    expect(await shownRows(page)).toHaveLength(21);

    // Suites: one suite's rows only, its group heading alone; with "problems only" none is left.
    await page.select('#filter-suite', 'hwpoison-basic');
    expect((await shownRows(page)).sort()).toEqual(rowsWith(run, (result) => result.suite === 'hwpoison-basic'));
    expect(await page.$$eval('tbody.mgroup', (groups) => groups.filter((group) => group.checkVisibility()).map((group) => group.getAttribute('data-suite')))).toEqual(['hwpoison-basic']);
    await page.click('#only-problems');
    expect(await shownRows(page)).toEqual([]);
    expect(await isShown(page, '#view-matrix .empty')).toBe(true);
    await page.select('#filter-suite', 'compare-fixture');
    expect((await shownRows(page)).sort()).toEqual(rowsWith(run, (result) => result.suite === 'compare-fixture' && !['passed', 'xfail', 'skipped'].includes(result.verdict)));
    await page.click('#show-all');

    // Against the baseline: the regressions are the new crashes compare found.
    await page.select('#filter-category', 'regression');
    const regressed = comparison.cases.filter((entry) => entry.category === 'new-crash' || entry.category === 'new-failure');
    expect(regressed.length).toBeGreaterThan(0);
    const regressedRows = [...new Set(regressed.map((entry) => rowName({ ...entry, repeatIndex: 0 })))].sort();
    expect((await shownRows(page)).sort()).toEqual(regressedRows);
    await page.click('#show-all');

    // A cell: that result alone, opened, with the way back.
    const target = run.cases.findIndex((result) => result.key === 'compare-fixture/panics-before-6.12' && result.kernel.release === '6.1.0-47-amd64');
    const anchor = `case-${target + 1}`;
    await page.click(`td.cell a[href="#${anchor}"]`);
    await page.waitForFunction(() => document.body.classList.contains('detail'));
    expect(await page.evaluate(() => window.location.hash)).toBe(`#${anchor}`);
    expect(await shownCases(page)).toEqual([anchor]);
    expect(await page.$eval(`#${anchor}`, (element) => (element as HTMLDetailsElement).open)).toBe(true);
    expect(await isShown(page, '#view-matrix')).toBe(false);
    expect(await isShown(page, '#filters')).toBe(false);
    const detail = await page.$eval(`#${anchor}`, (element) => (element as HTMLElement).innerText);
    expect(detail).toContain('6.1.0-47-amd64');
    expect(detail).toContain('a step that panics the guest on kernels before 6.12');
    expect(detail).toContain('kernel panic: sysrq triggered crash');
    expect(detail).toMatch(/vs baseline\s+NEW new crash/);
    await page.screenshot({ path: path.join(dir, 'detail.png') });
    await page.click('#back-link');
    await page.waitForFunction(() => !document.body.classList.contains('detail'));
    expect(await page.evaluate(() => window.location.hash)).toBe('#matrix');
    expect(await shownRows(page)).toHaveLength(21);

    // The other tab lists every result.
    await page.click('a[data-tab="cases"]');
    await page.waitForFunction(() => window.location.hash === '#cases');
    expect(await shownCases(page)).toHaveLength(run.cases.length);
    await page.select('#filter-kernel', run.kernels[0]!.id);
    expect(await shownCases(page)).toHaveLength(run.cases.filter((result) => result.kernel.id === run.kernels[0]!.id).length);

    expect(problems).toEqual([]);
    await page.close();
  });

  it("keeps a shell step's stdout and stderr collapsed until asked, and runs no guest markup", async () => {
    const dir = path.join(tmp, 'steps');
    await fs.mkdir(dir);
    const shell = {
      index: 0,
      kind: 'shell',
      location: 'suites/hwpoison.yaml:30:9',
      status: 'failed' as const,
      summary: 'cat /proc/self/status: exit 1',
      durationMs: 12,
      exit: 1,
      stdout: 'Name:\tcat\n<img src=x onerror="document.title=\'pwned\'">\n',
      stderr: 'cat: oops\n',
    };
    const run = sampleRun({ cases: [makeCase('failed', { steps: [shell] }), ...sampleRun().cases.slice(0, 1)] });
    await replayToReporters(run, createHtmlReporter({ outputDir: dir }));
    const { page, problems } = await openReport(path.join(dir, 'report.html'), '#case-1');
    await page.waitForFunction(() => document.body.classList.contains('detail'));
    expect(await isShown(page, '#case-1 details.output-stdout pre')).toBe(false);
    await page.click('#case-1 details.output-stdout > summary');
    expect(await isShown(page, '#case-1 details.output-stdout pre')).toBe(true);
    expect(await page.$eval('#case-1 details.output-stdout pre', (element) => element.textContent)).toBe(shell.stdout);
    expect(await isShown(page, '#case-1 details.output-stderr pre')).toBe(false);
    expect(await page.$$('#case-1 img')).toHaveLength(0);
    expect(await page.title()).not.toBe('pwned');
    expect(problems).toEqual([]);
    await page.close();
  });
});
