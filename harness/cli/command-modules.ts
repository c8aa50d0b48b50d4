import type { Command } from 'commander';

type Register = (program: Command) => void;

/**
 * Every subcommand, in the order help lists them, with the module that registers it. A module
 * is imported only when its command runs (or for help, which lists them all): each brings its
 * whole import graph (suites and zod schemas, QEMU, SSH, reporters), so a start pays for one
 * command's imports and `--version` for none.
 */
export const COMMAND_MODULES: ReadonlyArray<readonly [name: string, load: () => Promise<Register>]> = [
  ['doctor', async () => (await import('./commands/doctor.ts')).registerDoctorCommand],
  ['kernels', async () => (await import('./commands/kernels.ts')).registerKernelsCommand],
  ['boot', async () => (await import('./commands/boot.ts')).registerBootCommand],
  ['shell', async () => (await import('./commands/shell.ts')).registerShellCommand],
  ['exec', async () => (await import('./commands/exec.ts')).registerExecCommand],
  ['inject', async () => (await import('./commands/inject.ts')).registerInjectCommand],
  ['lint', async () => (await import('./commands/lint.ts')).registerLintCommand],
  ['run', async () => (await import('./commands/run.ts')).registerRunCommand],
  ['merge', async () => (await import('./commands/merge.ts')).registerMergeCommand],
  ['compare', async () => (await import('./commands/compare.ts')).registerCompareCommand],
  ['bisect', async () => (await import('./commands/bisect.ts')).registerBisectCommand],
  ['bisect-step', async () => (await import('./commands/bisect-step.ts')).registerBisectStepCommand],
  ['backport-check', async () => (await import('./commands/backport-check.ts')).registerBackportCheckCommand],
];

const VERSION_FLAGS = ['-V', '--version'];

/**
 * The commands ARGS (the words after `memharness`) need registered: the one they name (the
 * program's own options take no value, so that is the first word that is not an option), none
 * for a bare --version, and all of them otherwise (help, an unknown command for commander to
 * say so, no command at all).
 */
export function commandsFor(args: readonly string[]): string[] {
  const names = COMMAND_MODULES.map(([name]) => name);
  const first = args.find((word) => !word.startsWith('-'));
  if (first !== undefined) return names.includes(first) ? [first] : names;
  if (args.some((word) => VERSION_FLAGS.includes(word)) && args.every((word) => VERSION_FLAGS.includes(word) || word === '--dry-run')) return [];
  return names;
}

/** Registers on PROGRAM the commands ARGS need, importing only their modules. */
export async function registerCommands(program: Command, args: readonly string[]): Promise<void> {
  const wanted = new Set(commandsFor(args));
  const registers = await Promise.all(COMMAND_MODULES.filter(([name]) => wanted.has(name)).map(([, load]) => load()));
  for (const register of registers) register(program);
}
