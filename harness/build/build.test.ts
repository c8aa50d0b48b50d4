import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { COMMAND_MODULES } from '../cli/command-modules.ts';
import { projectRoot } from '../util/paths.ts';
import { BUILD_INPUTS, checkManifest, MANIFEST_FILE, type BuildManifest } from './build-manifest.js';

// The real build (harness/build/build.js, as npm ci's prepare runs it), into a directory of its
// own beside dist/ so the checkout's dist/ is left alone.
const run = promisify(execFile);
const outName = `dist.test-${process.pid}`;
const out = path.join(projectRoot, outName);
let manifest: BuildManifest;
let modules: string[];

beforeAll(async () => {
  await run(process.execPath, [path.join(projectRoot, 'harness/build/build.js'), '--out', outName], { cwd: projectRoot, timeout: 120_000 });
  manifest = JSON.parse(fs.readFileSync(path.join(out, MANIFEST_FILE), 'utf8')) as BuildManifest;
  modules = fs
    .readdirSync(path.join(out, 'harness'), { recursive: true, encoding: 'utf8' })
    .filter((file) => file.endsWith('.js'))
    .map((file) => path.join('harness', file).split(path.sep).join('/'))
    .sort();
}, 120_000);
afterAll(() => {
  fs.rmSync(out, { recursive: true, force: true });
});

describe('the compiled build', () => {
  it('holds the CLI and every command, and records exactly the sources of what it holds', async () => {
    const commands = fs.readdirSync(path.join(projectRoot, 'harness/cli/commands')).filter((file) => file.endsWith('.ts') && !file.endsWith('.test.ts'));
    expect(commands.length).toBe(COMMAND_MODULES.length);
    for (const file of ['harness/cli/main.js', ...commands.map((file) => `harness/cli/commands/${file.replace(/\.ts$/, '.js')}`)]) expect(modules).toContain(file);
    expect(manifest.sources.map((source) => source.path)).toEqual([...modules.map((file) => file.replace(/\.js$/, '.ts')), ...BUILD_INPUTS]);
    expect(await checkManifest(manifest, projectRoot)).toMatchObject({ fresh: true });
  });

  it('imports nothing as TypeScript and reads no file beside itself: assets come from the source tree through projectRoot', () => {
    const locating: string[] = [];
    for (const file of modules) {
      const code = fs.readFileSync(path.join(out, file), 'utf8');
      expect(code, file).not.toMatch(/\bfrom\s+['"]\.{1,2}\/[^'"]*\.ts['"]|import\(\s*['"]\.{1,2}\/[^'"]*\.ts['"]/);
      if (code.includes('import.meta.url')) locating.push(file);
    }
    // paths.ts alone turns its own location into the project root (one level deeper in dist/).
    expect(locating).toEqual(['harness/util/paths.js']);
  });

  it('runs: --version and lint from the compiled entry point', { timeout: 60_000 }, async () => {
    const { version } = JSON.parse(fs.readFileSync(path.join(projectRoot, 'package.json'), 'utf8')) as { version: string };
    const main = path.join(out, 'harness/cli/main.js');
    expect((await run(process.execPath, [main, '--version'])).stdout).toBe(`${version}\n`);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'memharness-build-lint-'));
    try {
      const suite = 'suite: s\ntitle: S\ncases:\n  - id: c\n    title: t\n    steps:\n      - target: { name: t0, kind: anon }\n      - inject: { method: debugfs, target: t0 }\n';
      fs.writeFileSync(path.join(dir, 's.yaml'), suite);
      expect((await run(process.execPath, [main, 'lint', '--list', dir])).stdout).toBe('s/c\n1 suite, 1 case after expansion\n');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
