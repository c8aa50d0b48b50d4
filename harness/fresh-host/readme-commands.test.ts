import fs from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { projectRoot } from '../util/paths.ts';
import { readmeSetupCommands } from './readme-commands.ts';

describe("the README's two set-up commands", () => {
  it('are the main job and the test command, and .ci/run runs the test command', async () => {
    const commands = readmeSetupCommands(await fs.readFile(path.join(projectRoot, 'README.md'), 'utf8'));
    expect(commands.main).toMatch(/npx memharness run$/);
    expect(commands.test).toMatch(/npm test$/);
    const ci = await fs.readFile(path.join(projectRoot, '.ci', 'run'), 'utf8');
    // npm's --no-audit/--no-fund only quieten the log: the same command otherwise.
    const ciCommand = ci.split('\n').find((line) => line.includes('npm test'))?.replace(/ --no-audit| --no-fund/g, '').trim();
    expect(ciCommand).toBe(commands.test);
  });

  it('rejects a section that lost a block', () => {
    expect(() => readmeSetupCommands('## Set-up on a fresh Debian machine: two commands\n\n```sh\nnpm ci\n```\n')).toThrow(/exactly two sh blocks .*; it holds 1$/);
  });
});
