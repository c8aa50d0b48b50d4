import fs from 'node:fs/promises';
import path from 'node:path';
import { HarnessError } from '../util/errors.ts';
import { vmImagesDir } from '../util/paths.ts';
import type { Progress } from '../util/progress.ts';
import { ContentHash } from './content-hash.ts';
import type { InitramfsPart } from './guest-image.ts';
import { cachedPart } from './part-cache.ts';
import { resolveSharedLibraries } from './shared-libraries.ts';

const RECIPE_VERSION = 'tools-1';

export const TOOLS_LIST = path.join(vmImagesDir, 'tools.list');

/** Debian packages providing the binaries in tools.list, for the error hint. */
const TOOLS_PACKAGES = 'dropbear-bin util-linux ndctl daxctl';

/** Absolute paths from a tools.list text: one per line, '#' comments, blank lines. */
export function parseToolsList(text: string): string[] {
  const tools: string[] = [];
  for (const rawLine of text.split('\n')) {
    const line = rawLine.replace(/#.*/, '').trim();
    if (line === '') continue;
    if (!path.isAbsolute(line)) throw new HarnessError('image', `${TOOLS_LIST}: "${line}" is not an absolute path`);
    tools.push(line);
  }
  return tools;
}

/** guest path → host file with the content. */
type FileMap = Map<string, string>;

async function collectFiles(tools: readonly string[]): Promise<FileMap> {
  const files: FileMap = new Map();
  for (const tool of tools) {
    let hostPath: string;
    try {
      hostPath = await fs.realpath(tool);
    } catch (error) {
      throw new HarnessError('prerequisite', `the guest image needs ${tool}, which is not installed on the host`, {
        hint: `install the guest tools: sudo apt-get install ${TOOLS_PACKAGES}`,
        cause: error,
      });
    }
    files.set(tool, hostPath);
    for (const library of await resolveSharedLibraries(tool)) files.set(library.guestPath, library.hostPath);
  }
  return files;
}

/**
 * Part 2: the host's dynamically linked tools (dropbear, lsmem, chmem, ndctl, daxctl), each
 * at its host path, plus every library ldd reports and the ELF loader at the paths the
 * loader will search, so they run unchanged in the guest.
 */
export async function buildToolsPart(options: { cacheDir: string; progress: Progress }): Promise<InitramfsPart> {
  const listText = await fs.readFile(TOOLS_LIST, 'utf8');
  const files = await collectFiles(parseToolsList(listText));
  const guestPaths = [...files.keys()].sort();

  const hash = new ContentHash().add('recipe', RECIPE_VERSION).add('tools.list', listText);
  for (const guestPath of guestPaths) await hash.addFile(guestPath, files.get(guestPath) as string);

  return cachedPart({
    cacheDir: options.cacheDir,
    name: 'tools',
    hash,
    progress: options.progress,
    stage: async (staging) => {
      for (const guestPath of guestPaths) {
        // Libraries keep their mode 0755/0644 distinction through the executable bit.
        const mode = (await fs.stat(files.get(guestPath) as string)).mode & 0o111 ? 0o755 : 0o644;
        await staging.copy(files.get(guestPath) as string, guestPath, mode);
      }
    },
  });
}
