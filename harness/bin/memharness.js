#!/usr/bin/env node
// @ts-check
// What is checked out is what runs. `npm ci` compiles the harness into dist/ (npm's prepare
// runs harness/build/build.js), which starts without transpiling anything; dist/ runs only
// while its manifest matches every source it was built from (harness/build/build-manifest.js).
// Otherwise (no build, or a source changed since: an edit, a git pull without npm ci) the
// TypeScript sources run through tsx's loader, as in development, and stderr says why.
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { checkBuild } from '../build/build-manifest.js';

const build = await checkBuild(path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..'));
if (build.fresh) {
  await import(pathToFileURL(build.entry).href);
} else {
  process.stderr.write(`memharness: ${build.reason}: running the TypeScript sources through tsx (slower to start; \`npm run build\` compiles them)\n`);
  const { register } = await import('tsx/esm/api');
  register();
  await import('../cli/main.ts');
}
