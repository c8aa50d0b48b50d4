import { Command, CommanderError } from 'commander';
import { STEP_EXIT } from '../bisect/git-step.ts';
import { killAllChildGroups } from '../util/child-processes.ts';
import { EXIT_INFRA, EXIT_INTERRUPTED, exitCodeFor, formatError } from '../util/errors.ts';
import { registerBackportCheckCommand } from './commands/backport-check.ts';
import { registerBisectCommand } from './commands/bisect.ts';
import { registerBisectStepCommand } from './commands/bisect-step.ts';
import { registerBootCommand } from './commands/boot.ts';
import { registerCompareCommand } from './commands/compare.ts';
import { registerDoctorCommand } from './commands/doctor.ts';
import { registerExecCommand } from './commands/exec.ts';
import { registerInjectCommand } from './commands/inject.ts';
import { registerKernelsCommand } from './commands/kernels.ts';
import { registerLintCommand } from './commands/lint.ts';
import { registerMergeCommand } from './commands/merge.ts';
import { registerRunCommand } from './commands/run.ts';
import { registerShellCommand } from './commands/shell.ts';
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

registerDoctorCommand(program);
registerKernelsCommand(program);
registerBootCommand(program);
registerShellCommand(program);
registerExecCommand(program);
registerInjectCommand(program);
registerLintCommand(program);
registerRunCommand(program);
registerMergeCommand(program);
registerCompareCommand(program);
registerBisectCommand(program);
registerBisectStepCommand(program);
registerBackportCheckCommand(program);

try {
  await program.parseAsync(process.argv);
} catch (error) {
  killAllChildGroups();
  if (error instanceof CommanderError) {
    // Help and --version end here too, with exit code 0; usage errors were already printed.
    // git bisect run takes 1-127 for "bad": a bisect step with bad options must stop the bisect instead (128).
    process.exitCode = error.exitCode === 0 ? 0 : process.argv[2] === 'bisect-step' ? STEP_EXIT.abort : EXIT_INFRA;
  } else {
    process.stderr.write(`${formatError(error)}\n`);
    // An error before bisect-step's own handling (the host check) must stop git bisect, not mark the commit bad.
    process.exitCode = process.argv[2] === 'bisect-step' && exitCodeFor(error) !== EXIT_INTERRUPTED ? STEP_EXIT.abort : exitCodeFor(error);
  }
}
