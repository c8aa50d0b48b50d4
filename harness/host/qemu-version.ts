import { execa } from 'execa';
import { HarnessError } from '../util/errors.ts';
import { qemuBinary } from '../vm/qemu-machine.ts';

let cached: Promise<string> | undefined;

/** "QEMU emulator version 7.2.22 (Debian ...)" → "7.2.22 (Debian ...)"; recorded in results. */
export function qemuVersion(): Promise<string> {
  cached ??= execa(qemuBinary(), ['--version'])
    .then(({ stdout }) => (stdout.split('\n')[0] ?? '').replace(/^QEMU emulator version\s*/, '').trim())
    .catch((error: unknown) => {
      cached = undefined;
      throw new HarnessError('prerequisite', `cannot run ${qemuBinary()} --version: ${error instanceof Error ? error.message : String(error)}`, {
        hint: 'run `memharness doctor --install` (package qemu-system-x86)',
      });
    });
  return cached;
}
