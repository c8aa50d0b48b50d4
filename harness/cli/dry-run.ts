import { type Command, CommanderError } from 'commander';

/** Set to 1 (or any value but 0, false or empty) for the same effect as --dry-run. */
export const DRY_RUN_ENV = 'MEMHARNESS_DRY_RUN';

/** The CommanderError code a dry run ends with (exit code 0). */
export const DRY_RUN_CODE = 'memharness.dryRun';

/** What a dry run prints on stdout, as one line of JSON. */
export interface DryRunReport {
  dryRun: true;
  /** The subcommand, e.g. `run`, `merge`. */
  command: string;
  /** The command's arguments by name, as parsed (variadic ones as arrays). */
  arguments: Record<string, unknown>;
  /** Every option of the command with its parsed value, defaults included. */
  options: Record<string, unknown>;
  /** The options the command line (or their environment variables) gave, as opposed to defaults. */
  given: string[];
}

/**
 * True when this invocation is only to validate its command line: `--dry-run` anywhere on it
 * or MEMHARNESS_DRY_RUN set. Other preAction hooks that do work (installing host packages,
 * preparing a kernel) call this and return early, whatever order they were registered in.
 */
export function isDryRun(command?: Command): boolean {
  const env = process.env[DRY_RUN_ENV];
  if (env !== undefined && !['', '0', 'false'].includes(env.toLowerCase())) return true;
  let root = command;
  while (root?.parent) root = root.parent;
  return root?.opts().dryRun === true;
}

/**
 * `memharness --dry-run <command> ...` (or `<command> ... --dry-run`, or MEMHARNESS_DRY_RUN=1):
 * commander parses and validates the command line as usual (an unknown or renamed flag, a bad
 * value, a missing argument: exit 2), then, instead of the action, this prints the command and
 * its parsed arguments and options as JSON and exits 0. CI examples are checked this way
 * (harness/cli/ci-examples.test.ts). Registered before any other preAction hook: it ends the
 * invocation, so hooks after it never run.
 */
export function registerDryRun(program: Command): void {
  program.option('--dry-run', `validate the command line, print the parsed command as JSON and exit 0 without running it (also ${DRY_RUN_ENV}=1)`);
  program.hook('preAction', (_program, actionCommand) => {
    if (!isDryRun(actionCommand)) return;
    process.stdout.write(`${JSON.stringify(dryRunReport(actionCommand), jsonValue)}\n`);
    throw new CommanderError(0, DRY_RUN_CODE, 'dry run: the command line is valid; nothing was run');
  });
}

export function dryRunReport(command: Command): DryRunReport {
  const options = command.opts();
  const args: Record<string, unknown> = {};
  command.registeredArguments.forEach((argument, index) => {
    args[argument.name()] = command.processedArgs[index];
  });
  const given = Object.keys(options).filter((key) => {
    const source = command.getOptionValueSource(key);
    return source === 'cli' || source === 'env';
  });
  return { dryRun: true, command: command.name(), arguments: args, options, given };
}

/** RegExp (--grep) and other non-plain values as their text. */
function jsonValue(_key: string, value: unknown): unknown {
  return value instanceof RegExp ? String(value) : value;
}
