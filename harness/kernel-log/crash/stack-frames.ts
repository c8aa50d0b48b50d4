/**
 * Stack traces in oops text: which function to blame. Frames look like
 * " sysrq_handle_crash+0x1a/0x20" (" ? name+..." when the unwinder is unsure, which does
 * not count); a kernel "RIP: 0010:func+0x12/0x34" names the faulting function directly.
 */
const FRAME = /^\s*(\? )?([A-Za-z0-9_.]+)\+0x[0-9a-f]+\/0x[0-9a-f]+(?: \[[^\]]+\])?\s*$/;
const KERNEL_RIP = /^RIP: [0-9a-f]{4}:([A-Za-z0-9_.]+)\+0x[0-9a-f]+\/0x[0-9a-f]+/;

// Reporting machinery and generic helpers: the bug is in whoever called them.
const NOT_GUILTY: readonly RegExp[] = [
  /^v?panic$/,
  /^dump_stack/,
  /^__dump_stack/,
  /^show_stack/,
  /^_?printk/,
  /^__warn/,
  /^warn_slowpath/,
  /^report_bug/,
  /^handle_bug/,
  /^exc_invalid_op/,
  /^asm_exc_/,
  /^do_trap/,
  /^do_error_trap/,
  /^die/,
  /^oops_end/,
  /^kasan/,
  /^__asan/,
  /^__kasan/,
  /^ubsan/,
  /^__ubsan/,
  /^__list_(?:add|del)_valid/,
  /^__list_\w+_report/,
  /^bad_page/,
  /^dump_page/,
  /^__dump_page/,
  /^mce_panic/,
];

export interface StackFrame {
  func: string;
  /** "?" frames: found on the stack, not proven to be on the call chain. */
  questionable: boolean;
}

export function parseStackFrame(line: string): StackFrame | null {
  const match = FRAME.exec(line);
  if (!match) return null;
  return { func: match[2] ?? '', questionable: match[1] !== undefined };
}

export function stackFrames(lines: readonly string[]): StackFrame[] {
  return lines.map(parseStackFrame).filter((frame): frame is StackFrame => frame !== null);
}

/** The function a report blames: the kernel RIP, else the first reliable frame that is not reporting machinery. */
export function guiltyFunction(lines: readonly string[]): string | null {
  for (const line of lines) {
    const rip = KERNEL_RIP.exec(line);
    if (rip && !isMachinery(rip[1] ?? '')) return stripCompilerSuffix(rip[1] ?? '');
  }
  for (const frame of stackFrames(lines)) {
    if (!frame.questionable && !isMachinery(frame.func)) return stripCompilerSuffix(frame.func);
  }
  return null;
}

/** ".cold", ".isra.0", ".constprop.0", ".part.0": the same function for a reader and for dedup. */
export function stripCompilerSuffix(func: string): string {
  return func.replace(/(?:\.(?:cold|isra|constprop|part|llvm|lto_priv)(?:\.\d+)*)+$/, '');
}

function isMachinery(func: string): boolean {
  return NOT_GUILTY.some((pattern) => pattern.test(func));
}
