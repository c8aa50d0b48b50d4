import { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { needsHost } from './host-commands.ts';

/** Parses argv against a command with the options that decide, and reports what needsHost said. */
async function decide(name: string, argv: string[], options: string[] = []): Promise<boolean> {
  let said: boolean | null = null;
  const program = new Command('memharness').exitOverride();
  const command = program.command(name).allowUnknownOption().argument('[rest...]');
  for (const option of options) command.option(option);
  program.hook('preAction', (_p, action) => {
    said = needsHost(action);
  });
  command.action(() => {});
  await program.parseAsync(['node', 'memharness', name, ...argv]);
  if (said === null) throw new Error('the pre-action did not run');
  return said;
}

describe('which commands check the host before they resolve a kernel', () => {
  it('every command that boots, and only those', async () => {
    for (const name of ['run', 'boot', 'shell', 'exec', 'inject', 'doctor', 'bisect', 'bisect-step', 'backport-check']) {
      expect(await decide(name, []), name).toBe(true);
    }
    for (const name of ['lint', 'compare', 'merge', 'kernels']) expect(await decide(name, []), name).toBe(false);
  });

  it('not run --list, nor backport-check --from-run: they boot nothing', async () => {
    expect(await decide('run', ['--list'], ['--list'])).toBe(false);
    expect(await decide('backport-check', ['--from-run', 'latest'], ['--from-run <run>'])).toBe(false);
  });
});
