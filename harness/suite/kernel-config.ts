import fs from 'node:fs/promises';

/**
 * A kernel's .config as data. Options set to `n` are written `# CONFIG_X is not set`, and
 * options the kernel does not know at all are absent: both read as "n", which is what
 * Kconfig itself means by them.
 */
export interface KernelConfig {
  /** CONFIG_* name → value as written: "y", "m", "n", a number, or an unquoted string. */
  options: ReadonlyMap<string, string>;
  /** "6.1.192" from the "# Linux/x86 6.1.192 Kernel Configuration" header, when present. */
  kernelVersion: string | null;
}

const SET = /^(CONFIG_[A-Za-z0-9_]+)=(.*)$/;
const NOT_SET = /^# (CONFIG_[A-Za-z0-9_]+) is not set\s*$/;
const HEADER = /^# Linux\/\S+ (\d+\.\d+\S*) Kernel Configuration\s*$/;

export function parseKernelConfig(text: string): KernelConfig {
  const options = new Map<string, string>();
  let kernelVersion: string | null = null;
  for (const rawLine of text.split('\n')) {
    const line = rawLine.replace(/\r$/, '');
    let match: RegExpExecArray | null;
    if ((match = SET.exec(line))) options.set(match[1]!, unquote(match[2]!.trim()));
    else if ((match = NOT_SET.exec(line))) options.set(match[1]!, 'n');
    else if (kernelVersion === null && (match = HEADER.exec(line))) kernelVersion = match[1]!;
  }
  return { options, kernelVersion };
}

export async function readKernelConfig(file: string): Promise<KernelConfig> {
  return parseKernelConfig(await fs.readFile(file, 'utf8'));
}

/** The value Kconfig means: absent and "is not set" are both "n". */
export function configValue(config: KernelConfig, option: string): string {
  return config.options.get(option) ?? 'n';
}

/** Whether a value is one of the accepted ones; numbers compare as numbers (0x10 = 16). */
export function configValueMatches(actual: string, accepted: readonly string[]): boolean {
  return accepted.some((want) => want === actual || (isNumber(want) && isNumber(actual) && BigInt(want) === BigInt(actual)));
}

function isNumber(text: string): boolean {
  return /^(?:-?\d+|0x[0-9a-fA-F]+)$/.test(text) && !/^-0x/.test(text);
}

/** Kconfig writes strings in double quotes with \" and \\ escaped. */
function unquote(value: string): string {
  if (value.length >= 2 && value.startsWith('"') && value.endsWith('"')) return value.slice(1, -1).replace(/\\(["\\])/g, '$1');
  return value;
}
