import { Option, type Command } from 'commander';
import { HelperSession } from '../../guest-helper/helper-session.ts';
import { kernelCrashError } from '../../inject/crash-error.ts';
import { formatInjectionReport } from '../../inject/format-report.ts';
import { INJECTION_METHODS, type InjectionMethod } from '../../inject/injection.ts';
import { INJECTORS } from '../../inject/injectors.ts';
import { runInjection } from '../../inject/run-injection.ts';
import { SCRATCH_FS_MODULES } from '../../inject/scratch-fs.ts';
import { TARGET_KIND_NAMES, TARGET_KIND_TRAITS, type TargetKind } from '../../inject/target-kind-traits.ts';
import { prepareTarget } from '../../inject/targets.ts';
import { startGuestKmsgReader } from '../../kernel-log/reader/guest-kmsg-reader.ts';
import { EXIT_TEST_FAILURE, HarnessError } from '../../util/errors.ts';
import { withFreshGuest } from '../fresh-guest.ts';
import { addGuestOptions, type GuestCliOptions } from '../guest-options.ts';

interface InjectOptions extends GuestCliOptions {
  method: InjectionMethod;
  target: TargetKind;
  json?: boolean;
  earlyKill?: boolean;
  touch: boolean;
  beforeInject?: string;
}

export function registerInjectCommand(program: Command): void {
  addGuestOptions(program.command('inject'))
    .description('boot a guest, prepare a target page, inject a memory error, touch the page, and report events, state diff and process outcome')
    .addOption(new Option('--method <method>', 'how to inject').choices(INJECTION_METHODS).makeOptionMandatory())
    .addOption(new Option('--target <kind>', 'which page').choices(TARGET_KIND_NAMES).makeOptionMandatory())
    .option('--early-kill', 'prctl(PR_MCE_KILL_EARLY) in the owner: poison is signalled (BUS_MCEERR_AO) when it happens, not on access')
    .option('--no-touch', 'do not access/fsync the page after the injection')
    .option('--before-inject <command>', 'a guest shell command run right before the injection (e.g. a sysctl)')
    .option('--json', 'print one JSON object on stdout')
    .action(async (options: InjectOptions) => {
      const injector = INJECTORS[options.method];
      const owned = TARGET_KIND_TRAITS[options.target].owned;
      // Refuse impossible combinations before spending a boot on them.
      const refusal = injector.refuse({ kind: options.target, pfn: 0n, ...(owned ? { owner: {} as never } : {}) });
      if (refusal) throw new HarnessError('usage', `--method ${options.method} cannot target --target ${options.target}: ${refusal}`);
      const needsScratchFs = TARGET_KIND_TRAITS[options.target].file?.fs === 'scratch-fs';
      const report = await withFreshGuest(
        'inject',
        options,
        async (guest, prepared, progress) => {
          const kmsg = await startGuestKmsgReader(guest);
          const helper = await HelperSession.start(guest.ssh);
          try {
            if (options.earlyKill) await helper.setMceKill('early');
            const target = await progress.step(`preparing a ${options.target} page`, () => prepareTarget(guest, helper, options.target));
            if (options.beforeInject) await guest.exec(options.beforeInject).catch(() => undefined);
            return await progress.step(`injecting with ${options.method}`, () =>
              runInjection({ guest, helper, kmsg, injector, target, touch: options.touch, accel: prepared.accel.accel }),
            );
          } catch (error) {
            if (await guest.diesWithin()) throw kernelCrashError(guest, `during \`memharness inject --method ${options.method} --target ${options.target}\``, error);
            throw error;
          } finally {
            await helper.close().catch(() => undefined);
            await kmsg.stop();
          }
        },
        (spec) => {
          const withModules = { ...spec, modules: [...new Set([...spec.modules, 'hwpoison_inject', ...(needsScratchFs ? SCRATCH_FS_MODULES : [])])] };
          return injector.guestRequirements ? injector.guestRequirements(withModules) : withModules;
        },
      );
      process.stdout.write(options.json ? `${JSON.stringify(report)}\n` : formatInjectionReport(report));
      if (!report.guestAlive || report.crashes.length > 0) process.exitCode = EXIT_TEST_FAILURE;
    });
}
