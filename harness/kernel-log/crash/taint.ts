/**
 * Kernel taint flags (kernel/panic.c taint_flags[], include/linux/panic.h TAINT_*), in bit
 * order. The same 19 flags exist in 6.1 and 6.12. The kernel shows them three ways:
 *   /proc/sys/kernel/tainted      the bit mask as a decimal number
 *   "Tainted: G   M    W  "       one column per bit: the letter when set, else ' ' ('G' for bit 0)
 *   "Tainted: [M]=MACHINE_CHECK"  (6.12, a separate line after the CPU/PID line) only the set flags
 */
export interface TaintFlag {
  bit: number;
  /** TAINT_* name without the prefix. */
  name: string;
  /** Letter shown when set. */
  letter: string;
  /** Letter shown when clear (only bit 0 shows one). */
  clearLetter: string;
}

export const TAINT_FLAGS: readonly TaintFlag[] = [
  { bit: 0, name: 'PROPRIETARY_MODULE', letter: 'P', clearLetter: 'G' },
  { bit: 1, name: 'FORCED_MODULE', letter: 'F', clearLetter: ' ' },
  { bit: 2, name: 'CPU_OUT_OF_SPEC', letter: 'S', clearLetter: ' ' },
  { bit: 3, name: 'FORCED_RMMOD', letter: 'R', clearLetter: ' ' },
  { bit: 4, name: 'MACHINE_CHECK', letter: 'M', clearLetter: ' ' },
  { bit: 5, name: 'BAD_PAGE', letter: 'B', clearLetter: ' ' },
  { bit: 6, name: 'USER', letter: 'U', clearLetter: ' ' },
  { bit: 7, name: 'DIE', letter: 'D', clearLetter: ' ' },
  { bit: 8, name: 'OVERRIDDEN_ACPI_TABLE', letter: 'A', clearLetter: ' ' },
  { bit: 9, name: 'WARN', letter: 'W', clearLetter: ' ' },
  { bit: 10, name: 'CRAP', letter: 'C', clearLetter: ' ' },
  { bit: 11, name: 'FIRMWARE_WORKAROUND', letter: 'I', clearLetter: ' ' },
  { bit: 12, name: 'OOT_MODULE', letter: 'O', clearLetter: ' ' },
  { bit: 13, name: 'UNSIGNED_MODULE', letter: 'E', clearLetter: ' ' },
  { bit: 14, name: 'SOFTLOCKUP', letter: 'L', clearLetter: ' ' },
  { bit: 15, name: 'LIVEPATCH', letter: 'K', clearLetter: ' ' },
  { bit: 16, name: 'AUX', letter: 'X', clearLetter: ' ' },
  { bit: 17, name: 'RANDSTRUCT', letter: 'T', clearLetter: ' ' },
  { bit: 18, name: 'TEST', letter: 'N', clearLetter: ' ' },
];

export interface TaintState {
  /** The mask, as /proc/sys/kernel/tainted prints it. */
  value: number;
  /** Names of the set flags, in bit order ("MACHINE_CHECK", "WARN"...). */
  flags: string[];
  /** The kernel's column string for this mask ("G   M    W"), trailing blanks trimmed. */
  letters: string;
  /** Bits set that this table does not know (a newer kernel). */
  unknownBits: number[];
}

/** Decodes /proc/sys/kernel/tainted (validated: a non-negative integer, nothing else). */
export function decodeTaint(value: number | string): TaintState {
  const mask = typeof value === 'number' ? value : parseTaintNumber(value);
  if (!Number.isSafeInteger(mask) || mask < 0) throw new RangeError(`not a taint mask: ${value}`);
  const flags: string[] = [];
  const unknownBits: number[] = [];
  let remaining = BigInt(mask);
  for (let bit = 0; remaining > 0n; bit++, remaining >>= 1n) {
    if ((remaining & 1n) === 0n) continue;
    const flag = TAINT_FLAGS[bit];
    if (flag) flags.push(flag.name);
    else unknownBits.push(bit);
  }
  return { value: mask, flags, letters: formatTaintLetters(mask), unknownBits };
}

/** The kernel's column string for a mask, as print_tainted() builds it. */
export function formatTaintLetters(mask: number): string {
  return TAINT_FLAGS.map((flag) => ((BigInt(mask) >> BigInt(flag.bit)) & 1n ? flag.letter : flag.clearLetter)).join('').trimEnd();
}

/**
 * The taint shown on a line of an oops, or null if the line shows none:
 * "... Not tainted 6.1.0-56-amd64 #1", "... Tainted: G   M    W   6.12...", "Tainted: [M]=MACHINE_CHECK, [W]=WARN".
 */
export function taintFromLine(text: string): TaintState | null {
  if (/\bNot tainted\b/.test(text)) return decodeTaint(0);
  const verbose = /^Tainted: ((?:\[[A-Z]\]=[A-Z_]+(?:, )?)+)\s*$/.exec(text);
  if (verbose) return decodeTaint(maskFromNames([...(verbose[1] ?? '').matchAll(/\[[A-Z]\]=([A-Z_]+)/g)].map((match) => match[1] ?? '')));
  const columns = /\bTainted: ([A-Z ]{1,19})/.exec(text);
  if (columns) return decodeTaint(maskFromColumns(columns[1] ?? ''));
  return null;
}

function maskFromColumns(columns: string): number {
  let mask = 0;
  TAINT_FLAGS.forEach((flag, index) => {
    if (columns[index] === flag.letter) mask += 2 ** flag.bit;
  });
  return mask;
}

function maskFromNames(names: string[]): number {
  return TAINT_FLAGS.filter((flag) => names.includes(flag.name)).reduce((mask, flag) => mask + 2 ** flag.bit, 0);
}

function parseTaintNumber(text: string): number {
  const trimmed = text.trim();
  if (!/^\d+$/.test(trimmed)) throw new RangeError(`not a taint mask: ${JSON.stringify(text)}`);
  return Number(trimmed);
}
