import { Command, CommanderError } from 'commander';
import { killAllChildGroups } from '../util/child-processes.ts';
import { EXIT_INFRA, EXIT_INTERRUPTED, exitCodeFor, formatError } from '../util/errors.ts';
import { registerCommands } from './command-modules.ts';
import { registerDryRun } from './dry-run.ts';
import { registerHostCheck } from './host-commands.ts';
import { harnessVersion } from './version.ts';

const program = new Command('memharness')
  .description('Boot real Linux kernels in QEMU, inject memory errors, and check what the kernel did')
  .version(harnessVersion())
  .showHelpAfterError()
  .exitOverride();

registerDryRun(program); // first of the preAction hooks: a dry run ends before the others do work
registerHostCheck(program);

// Only the command this invocation runs is imported (command-modules.ts).
await registerCommands(program, process.argv.slice(2));

try {
  await program.parseAsync(process.argv);
} catch (error) {
  killAllChildGroups();
  if (error instanceof CommanderError) {
    // Help and --version end here too, with exit code 0; usage errors were already printed.
    // git bisect run takes 1-127 for "bad": a bisect step with bad options must stop the bisect instead (128).
    process.exitCode = error.exitCode === 0 ? 0 : process.argv[2] === 'bisect-step' ? await stepAbort() : EXIT_INFRA;
  } else {
    process.stderr.write(`${formatError(error)}\n`);
    // An error before bisect-step's own handling (the host check) must stop git bisect, not mark the commit bad.
    process.exitCode = process.argv[2] === 'bisect-step' && exitCodeFor(error) !== EXIT_INTERRUPTED ? await stepAbort() : exitCodeFor(error);
  }
}

/** git bisect's "stop the bisect" code, from bisect-step's module (loaded only for bisect-step). */
async function stepAbort(): Promise<number> {
  return (await import('../bisect/git-step.ts')).STEP_EXIT.abort;
}
