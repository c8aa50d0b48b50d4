import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { configValue, configValueMatches, parseKernelConfig } from './kernel-config.ts';

const fixtures = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures');
const read = (release: string) => parseKernelConfig(readFileSync(path.join(fixtures, `config-${release}.excerpt`), 'utf8'));

describe('parseKernelConfig on the Debian kernels', () => {
  const v61 = read('6.1.0-56-amd64');
  const v612 = read('6.12.117+deb12-amd64');

  it('reads the upstream version from the header', () => {
    expect(v61.kernelVersion).toBe('6.1.192');
    expect(v612.kernelVersion).toBe('6.12.117');
  });

  it('reads y, m, "is not set" and quoted strings', () => {
    expect(configValue(v61, 'CONFIG_MEMORY_FAILURE')).toBe('y');
    expect(configValue(v61, 'CONFIG_HWPOISON_INJECT')).toBe('m');
    expect(configValue(v61, 'CONFIG_RAS_CEC')).toBe('n');
    expect(configValue(v612, 'CONFIG_RAS_CEC')).toBe('y');
    expect(configValue(v61, 'CONFIG_CC_VERSION_TEXT')).toBe('gcc-12 (Debian 12.2.0-14+deb12u1) 12.2.0');
    expect(configValue(v61, 'CONFIG_LOCALVERSION')).toBe('');
  });

  it('treats an option the kernel does not know as n', () => {
    expect(v61.options.has('CONFIG_MHP_DEFAULT_ONLINE_TYPE_ONLINE_AUTO')).toBe(false);
    expect(configValue(v61, 'CONFIG_MHP_DEFAULT_ONLINE_TYPE_ONLINE_AUTO')).toBe('n');
    expect(configValue(v612, 'CONFIG_MHP_DEFAULT_ONLINE_TYPE_ONLINE_AUTO')).toBe('y');
  });
});

describe('config values', () => {
  it('unescape strings and compare numbers as numbers', () => {
    const config = parseKernelConfig('CONFIG_A="say \\"hi\\" \\\\ bye"\nCONFIG_B=0x10\nCONFIG_C=16\r\n# CONFIG_D is not set\n');
    expect(configValue(config, 'CONFIG_A')).toBe('say "hi" \\ bye');
    expect(configValueMatches(configValue(config, 'CONFIG_B'), ['16'])).toBe(true);
    expect(configValueMatches(configValue(config, 'CONFIG_C'), ['0x10'])).toBe(true);
    expect(configValueMatches(configValue(config, 'CONFIG_D'), ['y', 'm'])).toBe(false);
    expect(config.kernelVersion).toBeNull();
  });
});
