// @ts-check
// Plain JavaScript (type-checked through JSDoc): the bin runs it before it knows whether the
// compiled build may run, so it cannot be part of that build or need tsx.
import fs from 'node:fs';
import path from 'node:path';

/** The compiled build, relative to the project root (tsconfig.build.json's outDir). */
export const DIST_DIR = 'dist';
/** Written last into the build: what it was built from. */
export const MANIFEST_FILE = 'build-manifest.json';
/** The CLI's compiled entry point, relative to the project root. */
export const ENTRY = `${DIST_DIR}/harness/cli/main.js`;
/** Bumped when what a manifest records (or how it is checked) changes: an older manifest is stale. */
export const MANIFEST_FORMAT = 1;
/** Inputs of the build besides the compiled sources: a change to any of them makes it stale too. */
export const BUILD_INPUTS = ['tsconfig.json', 'tsconfig.build.json', 'harness/build/build.js'];

/**
 * One file the build was made from, relative to the project root: its size and times when it
 * was compiled (the cheap check) and its content hash (the check when those differ).
 * @typedef {{ path: string, size: number, mtimeMs: number, ctimeMs: number, sha256: string }} SourceRecord
 */

/** @typedef {{ format: number, sources: SourceRecord[] }} BuildManifest */

/** @typedef {{ fresh: true, entry: string } | { fresh: false, reason: string }} BuildCheck */

/**
 * Whether the compiled build in ROOT/dist may run: it must exist, and every file it was built
 * from must be as it was. A stat per source (about 300, 2 ms) decides when size, mtime and
 * ctime all match; ctime changes with every write and cannot be set back, so a match means the
 * file was not written since. When they differ (a checkout or `touch` that rewrote a file
 * unchanged), the content hash decides. A source added since the build matters only once an
 * existing source imports it, and that one then differs; a deleted source is missing.
 * @param {string} root the project root
 * @returns {Promise<BuildCheck>}
 */
export async function checkBuild(root) {
  /** @type {unknown} */
  let manifest;
  try {
    manifest = JSON.parse(fs.readFileSync(path.join(root, DIST_DIR, MANIFEST_FILE), 'utf8'));
  } catch (error) {
    const missing = /** @type {NodeJS.ErrnoException} */ (error).code === 'ENOENT';
    return { fresh: false, reason: missing ? `no compiled build (${DIST_DIR}/${MANIFEST_FILE} is missing)` : `${DIST_DIR}/${MANIFEST_FILE} is unreadable` };
  }
  return checkManifest(manifest, root);
}

/**
 * @param {unknown} manifest a parsed manifest file
 * @param {string} root the project root its paths are relative to
 * @returns {Promise<BuildCheck>}
 */
export async function checkManifest(manifest, root) {
  if (!isManifest(manifest)) return { fresh: false, reason: `${DIST_DIR}/${MANIFEST_FILE} is from another build format` };
  /** @type {SourceRecord[]} */
  const changed = [];
  for (const source of manifest.sources) {
    const stat = fs.statSync(path.join(root, source.path), { throwIfNoEntry: false });
    if (!stat) return { fresh: false, reason: `${source.path} is gone since the build` };
    if (stat.size !== source.size) return { fresh: false, reason: `${source.path} changed since the build` };
    if (stat.mtimeMs !== source.mtimeMs || stat.ctimeMs !== source.ctimeMs) changed.push(source);
  }
  if (changed.length > 0) {
    const { createHash } = await import('node:crypto');
    for (const source of changed) {
      const sha256 = createHash('sha256').update(fs.readFileSync(path.join(root, source.path))).digest('hex');
      if (sha256 !== source.sha256) return { fresh: false, reason: `${source.path} changed since the build` };
    }
  }
  return { fresh: true, entry: path.join(root, ENTRY) };
}

/**
 * @param {unknown} value
 * @returns {value is BuildManifest}
 */
function isManifest(value) {
  if (typeof value !== 'object' || value === null) return false;
  const { format, sources } = /** @type {Record<string, unknown>} */ (value);
  return format === MANIFEST_FORMAT && Array.isArray(sources) && sources.length > 0 && sources.every(isSourceRecord);
}

/**
 * @param {unknown} value
 * @returns {value is SourceRecord}
 */
function isSourceRecord(value) {
  if (typeof value !== 'object' || value === null) return false;
  const record = /** @type {Record<string, unknown>} */ (value);
  return typeof record.path === 'string' && typeof record.size === 'number' && typeof record.mtimeMs === 'number' && typeof record.ctimeMs === 'number' && typeof record.sha256 === 'string';
}
