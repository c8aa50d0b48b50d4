import type { Command } from 'commander';

/**
 * The commands that boot a guest (or may: bisect steps, backport-check), and when: each
 * ensures the host packages (QEMU, busybox, dropbear, depmod, ...) before it resolves a kernel,
 * since preparing a Debian kernel already needs depmod and a fresh machine has none.
 * Everything else (lint, compare, merge, kernels, `run --list`) works without them.
 */
const NEEDS_HOST: Readonly<Record<string, (options: Record<string, unknown>) => boolean>> = {
  run: (options) => options.list !== true,
  boot: () => true,
  shell: () => true,
  exec: () => true,
  inject: () => true,
  doctor: () => true,
  bisect: () => true,
  'bisect-step': () => true,
  'backport-check': (options) => options.fromRun === undefined,
};

export function needsHost(command: Command): boolean {
  const needs = NEEDS_HOST[command.name()];
  return needs !== undefined && needs(command.opts());
}

/**
 * A pre-action that checks (as root: installs) the host packages before a command that needs
 * them runs. `doctor --no-install` only reports; everything else installs when it can.
 */
export function registerHostCheck(program: Command): void {
  program.hook('preAction', async (_program, command) => {
    if (!needsHost(command)) return;
    // Imported here: a command that needs no host packages (lint, compare, --version) does not load them.
    const [{ isRoot }, { ensureHostPackages }, { createProgress }] = await Promise.all([import('../host/apt-lists.ts'), import('../host/prerequisites.ts'), import('../util/progress.ts')]);
    const asked = command.opts().install;
    const install = typeof asked === 'boolean' ? asked && isRoot() : isRoot();
    await ensureHostPackages({ install, progress: createProgress() });
  });
}
