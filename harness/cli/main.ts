import { Command, CommanderError } from 'commander';
import { killAllChildGroups } from '../util/child-processes.ts';
import { EXIT_INFRA, exitCodeFor, formatError } from '../util/errors.ts';
import { registerBootCommand } from './commands/boot.ts';
import { registerDoctorCommand } from './commands/doctor.ts';
import { registerExecCommand } from './commands/exec.ts';
import { registerInjectCommand } from './commands/inject.ts';
import { registerKernelsCommand } from './commands/kernels.ts';
import { registerLintCommand } from './commands/lint.ts';
import { registerRunCommand } from './commands/run.ts';
import { registerShellCommand } from './commands/shell.ts';
import { harnessVersion } from './version.ts';

const program = new Command('memharness')
  .description('Boot real Linux kernels in QEMU, inject memory errors, and check what the kernel did')
  .version(harnessVersion())
  .showHelpAfterError()
  .exitOverride();

registerDoctorCommand(program);
registerKernelsCommand(program);
registerBootCommand(program);
registerShellCommand(program);
registerExecCommand(program);
registerInjectCommand(program);
registerLintCommand(program);
registerRunCommand(program);

try {
  await program.parseAsync(process.argv);
} catch (error) {
  killAllChildGroups();
  if (error instanceof CommanderError) {
    // Help and --version end here too, with exit code 0; usage errors were already printed.
    process.exitCode = error.exitCode === 0 ? 0 : EXIT_INFRA;
  } else {
    process.stderr.write(`${formatError(error)}\n`);
    process.exitCode = exitCodeFor(error);
  }
}
