#!/usr/bin/env node
// @ts-check
// `npm run build`, and npm's `prepare` (so `npm ci` and `npm install` run it): compiles the
// CLI (harness/cli/main.ts and everything it imports, nothing else: tsconfig.build.json) to
// JavaScript in dist/, with a manifest of the sources it was made from. harness/bin/memharness.js
// runs dist/ only while that manifest matches the checkout (build-manifest.js), else the sources.
//
// TypeScript's own compiler, emit only (noCheck: a type error is `npm run typecheck`'s to
// report, not a reason for `npm ci` to fail), with rewriteRelativeImportExtensions turning
// `./x.ts` imports into `./x.js`. It compiles into a new directory beside dist/ and renames it
// into place when complete, so dist/ is always one whole build (or absent) even if this is
// interrupted or two run at once.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { BUILD_INPUTS, DIST_DIR, MANIFEST_FILE, MANIFEST_FORMAT } from './build-manifest.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
// `--out NAME` builds into ROOT/NAME instead (the tests do, to leave dist/ alone); it must sit
// directly in the project root, as dist/ does, for harness/util/paths.ts to find the root.
const outName = process.argv[2] === '--out' && process.argv[3] ? process.argv[3] : DIST_DIR;
if (outName !== path.basename(outName) || outName.startsWith('.')) throw new Error(`memharness build: --out takes a directory name in the project root, not ${outName}`);
const dist = path.join(root, outName);

/** @typedef {import('./build-manifest.js').SourceRecord} SourceRecord */
/** @typedef {{ size: number, mtimeMs: number, ctimeMs: number }} StatRecord */

function main() {
  const started = performance.now();
  const tsc = findTsc();
  if (!tsc) {
    process.stdout.write('memharness build: typescript is not installed (npm ci --omit=dev?): no dist/; the CLI runs its sources through tsx\n');
    return 0;
  }
  removeLeftovers();
  // A source written while it compiles would be recorded as what was compiled: compile again.
  for (let attempt = 1; attempt <= 3; attempt++) {
    const tmp = `${dist}.tmp-${process.pid}`;
    fs.rmSync(tmp, { recursive: true, force: true });
    const before = statSources();
    const compiled = spawnSync(process.execPath, [tsc, '-p', path.join(root, 'tsconfig.build.json'), '--outDir', tmp], { cwd: root, stdio: 'inherit' });
    if (compiled.status !== 0) {
      fs.rmSync(tmp, { recursive: true, force: true });
      process.stderr.write(`memharness build: tsc failed (${compiled.signal ?? `exit ${compiled.status}`}); ${outName}/ left as it was\n`);
      return 1;
    }
    const sources = recordSources(tmp, before);
    if (!sources) {
      fs.rmSync(tmp, { recursive: true, force: true });
      continue;
    }
    fs.writeFileSync(path.join(tmp, MANIFEST_FILE), `${JSON.stringify({ format: MANIFEST_FORMAT, sources }, null, 1)}\n`);
    install(tmp);
    const modules = sources.length - BUILD_INPUTS.length;
    process.stdout.write(`memharness build: ${modules} modules compiled into ${outName}/ in ${((performance.now() - started) / 1000).toFixed(1)} s\n`);
    return 0;
  }
  process.stderr.write('memharness build: the sources kept changing while they compiled; run `npm run build` again\n');
  return 1;
}

/** typescript's tsc script, or null when the package is not installed. */
function findTsc() {
  const require = createRequire(path.join(root, 'package.json'));
  let manifest;
  try {
    manifest = require.resolve('typescript/package.json');
  } catch {
    return null;
  }
  const bin = /** @type {{ bin?: { tsc?: string } }} */ (JSON.parse(fs.readFileSync(manifest, 'utf8'))).bin?.tsc ?? 'bin/tsc';
  return path.join(path.dirname(manifest), bin);
}

/** Size and times of every TypeScript file under harness/ and of the build's other inputs, before compiling. */
function statSources() {
  /** @type {Map<string, StatRecord>} */
  const stats = new Map();
  const files = fs.readdirSync(path.join(root, 'harness'), { recursive: true, encoding: 'utf8' }).filter((file) => file.endsWith('.ts')).map((file) => path.join('harness', file));
  for (const file of [...files, ...BUILD_INPUTS]) {
    const stat = fs.statSync(path.join(root, file));
    stats.set(file.split(path.sep).join('/'), { size: stat.size, mtimeMs: stat.mtimeMs, ctimeMs: stat.ctimeMs });
  }
  return stats;
}

/**
 * The manifest's records: the source of every module tsc wrote into OUT, and the build's other
 * inputs, each hashed now and checked unwritten since BEFORE (so the hash is of what tsc read).
 * null when one was written meanwhile, or appeared.
 * @param {string} out
 * @param {Map<string, StatRecord>} before
 * @returns {SourceRecord[] | null}
 */
function recordSources(out, before) {
  const emitted = fs.readdirSync(path.join(out, 'harness'), { recursive: true, encoding: 'utf8' }).filter((file) => file.endsWith('.js'));
  const sources = emitted.map((file) => path.join('harness', file.replace(/\.js$/, '.ts')).split(path.sep).join('/')).sort();
  /** @type {SourceRecord[]} */
  const records = [];
  for (const source of [...sources, ...BUILD_INPUTS]) {
    const was = before.get(source);
    if (!was) {
      if (!fs.existsSync(path.join(root, source))) throw new Error(`memharness build: tsc wrote a module for ${source}, which is not a source here`);
      return null;
    }
    const sha256 = createHash('sha256').update(fs.readFileSync(path.join(root, source))).digest('hex');
    const now = fs.statSync(path.join(root, source));
    if (now.size !== was.size || now.mtimeMs !== was.mtimeMs || now.ctimeMs !== was.ctimeMs) return null;
    records.push({ path: source, ...was, sha256 });
  }
  return records;
}

/**
 * Renames the finished build TMP to dist/, replacing the one there (another build may be doing the same).
 * @param {string} tmp
 */
function install(tmp) {
  const old = `${dist}.old-${process.pid}`;
  for (let attempt = 1; ; attempt++) {
    try {
      fs.renameSync(dist, old);
    } catch (error) {
      if (/** @type {NodeJS.ErrnoException} */ (error).code !== 'ENOENT') throw error;
    }
    try {
      fs.renameSync(tmp, dist);
      break;
    } catch (error) {
      // Another build put its dist/ there between the two renames: move that one aside too.
      const code = /** @type {NodeJS.ErrnoException} */ (error).code;
      if ((code !== 'ENOTEMPTY' && code !== 'EEXIST') || attempt >= 5) throw error;
      fs.rmSync(old, { recursive: true, force: true });
    }
  }
  fs.rmSync(old, { recursive: true, force: true });
}

/** dist.tmp-PID and dist.old-PID left by builds that were killed. */
function removeLeftovers() {
  for (const name of fs.readdirSync(root)) {
    const match = /^(.+)\.(?:tmp|old)-(\d+)$/.exec(name);
    if (match && match[1] === outName && !alive(Number(match[2]))) fs.rmSync(path.join(root, name), { recursive: true, force: true });
  }
}

/** @param {number} pid */
function alive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return /** @type {NodeJS.ErrnoException} */ (error).code === 'EPERM';
  }
}

process.exitCode = main();
