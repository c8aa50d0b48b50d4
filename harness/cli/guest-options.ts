import { Command, Option } from 'commander';
import { collect, integer } from './option-parsers.ts';
import { z } from 'zod';
import type { AcceleratorRequest } from '../host/accelerator.ts';
import { HarnessError } from '../util/errors.ts';
import { guestSpecSchema, type GuestSpec } from '../vm/guest-spec.ts';

/** Flags shared by every command that boots a guest (boot, shell, exec, ...). */
export interface GuestCliOptions {
  kernel?: string;
  modules?: string;
  module: string[];
  append: string[];
  memory: number;
  cpus: number;
  accel: AcceleratorRequest;
  sshPort?: number;
  bootTimeout: number;
}

export function addGuestOptions(command: Command): Command {
  return command
    .option('-k, --kernel <ref>', 'Debian build (6.12.117, 6.1.0-56, latest-6.1, latest-6.12, package name), a bzImage/vmlinux path, or a kernel build tree (default: latest-6.12)')
    .option('--modules <dir>', 'modules for a --kernel given as a path (a dir holding lib/modules/<release>)')
    .option('-m, --module <name>', 'load this module in the guest before it reports ready (repeatable)', collect, [])
    .option('--append <word>', 'append a word to the kernel command line (repeatable)', collect, [])
    .option('--memory <MiB>', 'guest memory in MiB', integer('--memory', 256, 65_536), 2048)
    .option('--cpus <n>', 'guest CPUs', integer('--cpus', 1, 64), 1)
    .addOption(new Option('--accel <accel>', 'accelerator; auto tries KVM with a probe boot and falls back to TCG').choices(['auto', 'kvm', 'tcg']).default('auto'))
    .option('--ssh-port <port>', 'fixed loopback port for SSH (default: a free one)', integer('--ssh-port', 1024, 65_535))
    .option('--boot-timeout <seconds>', 'deadline for each boot stage (kernel to init, init to SSH)', integer('--boot-timeout', 1, 3600), 180);
}

/** Turns the flags into a validated guest spec; a bad value names the flag. */
export function guestSpecFromOptions(options: GuestCliOptions): GuestSpec {
  const parsed = guestSpecSchema.safeParse({
    memoryMiB: options.memory,
    cpus: options.cpus,
    modules: options.module,
    cmdline: options.append.flatMap((word) => word.split(/\s+/).filter(Boolean)),
  });
  if (!parsed.success) {
    throw new HarnessError('usage', `invalid guest options: ${z.prettifyError(parsed.error)}`);
  }
  return parsed.data;
}
