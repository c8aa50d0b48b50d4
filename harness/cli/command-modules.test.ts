import { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { COMMAND_MODULES, commandsFor, registerCommands } from './command-modules.ts';

const ALL = COMMAND_MODULES.map(([name]) => name);

describe('commandsFor: the command modules a command line loads', () => {
  it('is the named command alone, after the program options', () => {
    expect(commandsFor(['lint'])).toEqual(['lint']);
    expect(commandsFor(['lint', '--list', 'suites/'])).toEqual(['lint']);
    expect(commandsFor(['--dry-run', 'run', '--kernel', '6.1.0-56'])).toEqual(['run']);
    expect(commandsFor(['bisect-step', '--dir', '.'])).toEqual(['bisect-step']);
  });

  it('is none for a bare --version, and all for help, an unknown command or none', () => {
    expect(commandsFor(['--version'])).toEqual([]);
    expect(commandsFor(['-V'])).toEqual([]);
    expect(commandsFor([])).toEqual(ALL);
    expect(commandsFor(['--help'])).toEqual(ALL);
    expect(commandsFor(['--version', '--help'])).toEqual(ALL);
    expect(commandsFor(['help', 'lint'])).toEqual(ALL);
    expect(commandsFor(['lnt'])).toEqual(ALL);
  });
});

describe('registerCommands', () => {
  it('registers each command under the name it is listed by, in that order', async () => {
    const program = new Command('memharness');
    await registerCommands(program, []);
    expect(program.commands.map((command) => command.name())).toEqual(ALL);
  });

  it('registers only what the command line runs', async () => {
    const program = new Command('memharness');
    await registerCommands(program, ['compare', 'a', 'b']);
    expect(program.commands.map((command) => command.name())).toEqual(['compare']);
  });
});
