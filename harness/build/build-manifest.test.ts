import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { projectRoot } from '../util/paths.ts';
import { checkBuild, checkManifest, DIST_DIR, ENTRY, MANIFEST_FILE, MANIFEST_FORMAT, type SourceRecord } from './build-manifest.js';

const run = promisify(execFile);
let root: string;

beforeEach(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'memharness-build-'));
});
afterEach(() => {
  fs.rmSync(root, { recursive: true, force: true });
});

function write(file: string, text: string): void {
  fs.mkdirSync(path.dirname(path.join(root, file)), { recursive: true });
  fs.writeFileSync(path.join(root, file), text);
}

/** What the build records for FILE as it is now. */
function record(file: string): SourceRecord {
  const stat = fs.statSync(path.join(root, file));
  const sha256 = createHash('sha256').update(fs.readFileSync(path.join(root, file))).digest('hex');
  return { path: file, size: stat.size, mtimeMs: stat.mtimeMs, ctimeMs: stat.ctimeMs, sha256 };
}

function writeManifest(files: string[]): void {
  write(`${DIST_DIR}/${MANIFEST_FILE}`, JSON.stringify({ format: MANIFEST_FORMAT, sources: files.map(record) }));
}

describe('checkBuild: whether dist/ may run', () => {
  it('is fresh while every recorded source is as it was', async () => {
    write('harness/a.ts', 'export const a = 1;\n');
    write('harness/b.ts', 'export const b = 2;\n');
    writeManifest(['harness/a.ts', 'harness/b.ts']);
    expect(await checkBuild(root)).toEqual({ fresh: true, entry: path.join(root, ENTRY) });
  });

  it('is stale without a build, or with another format', async () => {
    expect(await checkBuild(root)).toEqual({ fresh: false, reason: `no compiled build (${DIST_DIR}/${MANIFEST_FILE} is missing)` });
    write(`${DIST_DIR}/${MANIFEST_FILE}`, '{ "format": 1, "sou');
    expect(await checkBuild(root)).toMatchObject({ fresh: false, reason: `${DIST_DIR}/${MANIFEST_FILE} is unreadable` });
    write('harness/a.ts', 'export const a = 1;\n');
    write(`${DIST_DIR}/${MANIFEST_FILE}`, JSON.stringify({ format: MANIFEST_FORMAT - 1, sources: [record('harness/a.ts')] }));
    expect(await checkBuild(root)).toMatchObject({ fresh: false, reason: expect.stringContaining('another build format') });
    expect(await checkManifest({ format: MANIFEST_FORMAT, sources: [] }, root)).toMatchObject({ fresh: false });
  });

  it('is stale once a source is written with other content, even of the same size and mtime', async () => {
    write('harness/a.ts', 'export const a = 1;\n');
    writeManifest(['harness/a.ts']);
    const { mtime } = fs.statSync(path.join(root, 'harness/a.ts'));
    write('harness/a.ts', 'export const a = 2;\n');
    fs.utimesSync(path.join(root, 'harness/a.ts'), mtime, mtime); // as `cp -p` or a tar extract would leave it
    expect(await checkBuild(root)).toEqual({ fresh: false, reason: 'harness/a.ts changed since the build' });
  });

  it('is stale once a source changes size or is gone', async () => {
    write('harness/a.ts', 'export const a = 1;\n');
    write('harness/b.ts', 'export const b = 2;\n');
    writeManifest(['harness/a.ts', 'harness/b.ts']);
    write('harness/b.ts', 'export const b = 22;\n');
    expect(await checkBuild(root)).toEqual({ fresh: false, reason: 'harness/b.ts changed since the build' });
    fs.rmSync(path.join(root, 'harness/a.ts'));
    expect(await checkBuild(root)).toEqual({ fresh: false, reason: 'harness/a.ts is gone since the build' });
  });

  it('stays fresh when a source is rewritten unchanged (a checkout, touch): its hash decides', async () => {
    write('harness/a.ts', 'export const a = 1;\n');
    const recorded = record('harness/a.ts');
    writeManifest(['harness/a.ts']);
    await new Promise((resolve) => setTimeout(resolve, 20));
    write('harness/a.ts', 'export const a = 1;\n');
    const now = fs.statSync(path.join(root, 'harness/a.ts'));
    expect(now.mtimeMs !== recorded.mtimeMs || now.ctimeMs !== recorded.ctimeMs, 'the stat no longer matches').toBe(true);
    expect(await checkBuild(root)).toMatchObject({ fresh: true });
  });
});

describe('harness/bin/memharness.js', () => {
  /** A project root holding the real bin and check, a stand-in CLI in both forms, and a build of it. */
  function fakeProject(): void {
    for (const file of ['harness/bin/memharness.js', 'harness/build/build-manifest.js']) write(file, fs.readFileSync(path.join(projectRoot, file), 'utf8'));
    fs.symlinkSync(path.join(projectRoot, 'node_modules'), path.join(root, 'node_modules'));
    write('package.json', '{ "type": "module" }\n');
    write('harness/cli/main.ts', "const from: string = 'the sources';\nconsole.log(from, process.argv.slice(2).join(' '));\n");
    write(`${DIST_DIR}/harness/cli/main.js`, "console.log('the build', process.argv.slice(2).join(' '));\n");
    writeManifest(['harness/cli/main.ts']);
  }

  async function bin(...args: string[]): Promise<{ stdout: string; stderr: string }> {
    return run(process.execPath, [path.join(root, 'harness/bin/memharness.js'), ...args], { cwd: root, timeout: 60_000 });
  }

  it('runs the build while it is fresh, else the sources through tsx, saying why', { timeout: 60_000 }, async () => {
    fakeProject();
    expect(await bin('--version')).toEqual({ stdout: 'the build --version\n', stderr: '' });

    write('harness/cli/main.ts', "const from: string = 'the edited sources';\nconsole.log(from, process.argv.slice(2).join(' '));\n");
    const edited = await bin('lint');
    expect(edited.stdout).toBe('the edited sources lint\n');
    expect(edited.stderr).toBe('memharness: harness/cli/main.ts changed since the build: running the TypeScript sources through tsx (slower to start; `npm run build` compiles them)\n');

    fs.rmSync(path.join(root, DIST_DIR), { recursive: true });
    const unbuilt = await bin('lint');
    expect(unbuilt.stdout).toBe('the edited sources lint\n');
    expect(unbuilt.stderr).toContain(`memharness: no compiled build (${DIST_DIR}/${MANIFEST_FILE} is missing): running the TypeScript sources through tsx`);
  });

  it('prints the package version (the real CLI, built or not)', { timeout: 60_000 }, async () => {
    const { version } = JSON.parse(fs.readFileSync(path.join(projectRoot, 'package.json'), 'utf8')) as { version: string };
    const { stdout } = await run(process.execPath, [path.join(projectRoot, 'harness/bin/memharness.js'), '--version'], { timeout: 60_000 });
    expect(stdout).toBe(`${version}\n`);
  });
});
