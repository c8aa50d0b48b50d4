import { existsSync } from 'node:fs';
import { execa } from 'execa';

/**
 * Debian's Chromium for the browser tests of report.html. `memharness doctor --install` does
 * not install it (it is a test dependency, not the harness's), so the tests install it
 * themselves when they can: as root, with apt. Otherwise they fail saying how to get it.
 */
export const CHROMIUM_PATH = process.env.MEMHARNESS_CHROMIUM ?? '/usr/bin/chromium';

const HOW = 'install it with `apt-get install chromium` as root (Debian), or set MEMHARNESS_CHROMIUM to a Chromium or Chrome binary';

async function aptInstall(): Promise<{ ok: boolean; output: string }> {
  const result = await execa('apt-get', ['install', '-y', '--no-install-recommends', '-o', 'DPkg::Lock::Timeout=300', 'chromium'], {
    reject: false,
    env: { DEBIAN_FRONTEND: 'noninteractive' },
    all: true,
  });
  return { ok: result.exitCode === 0, output: String(result.all ?? '') };
}

/** Without lists (a fresh image) apt cannot find the package at all: only then is an update worth it. */
function needsLists(output: string): boolean {
  return /Unable to locate package|has no installation candidate|Failed to fetch|404\s+Not Found/i.test(output);
}

/** The Chromium binary, installed with apt first when it is missing and this process is root. */
export async function ensureChromium(): Promise<string> {
  if (existsSync(CHROMIUM_PATH)) return CHROMIUM_PATH;
  if (process.env.MEMHARNESS_CHROMIUM) throw new Error(`MEMHARNESS_CHROMIUM=${CHROMIUM_PATH}: no such file; ${HOW}`);
  if (process.getuid?.() !== 0) throw new Error(`the report's browser tests need headless Chromium at ${CHROMIUM_PATH}, and only root may install it here: ${HOW}`);
  let attempt = await aptInstall();
  if (!attempt.ok && needsLists(attempt.output)) {
    const update = await execa('apt-get', ['update', '-o', 'DPkg::Lock::Timeout=300'], { reject: false, all: true });
    if (update.exitCode !== 0) throw new Error(`apt-get update failed (exit ${update.exitCode}), so Chromium could not be installed:\n${String(update.all ?? '').slice(-2000)}`);
    attempt = await aptInstall();
  }
  if (!attempt.ok || !existsSync(CHROMIUM_PATH)) throw new Error(`apt-get install chromium failed, so the report's browser tests cannot run:\n${attempt.output.slice(-2000)}\n${HOW}`);
  return CHROMIUM_PATH;
}
