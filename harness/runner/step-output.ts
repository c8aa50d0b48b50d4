import { escapeControl } from '../reporters/text/escape-text.ts';
import type { StepRecord } from '../results/run-result.ts';
import type { StepResult } from './step-result.ts';

/** How much of a step's stdout and of its stderr results.json keeps, each (UTF-8 bytes, before the cut marker). */
export const STEP_OUTPUT_MAX_BYTES = 8 * 1024;

/** True for a UTF-8 continuation byte (10xxxxxx): a cut must not land before one. */
const continuation = (byte: number | undefined) => byte !== undefined && (byte & 0xc0) === 0x80;

/**
 * A step's stdout or stderr as results.json keeps it. Guests are untrusted: control
 * characters other than "\n" and "\t" (terminal escapes, NUL, CR, C1, DEL), bidi overrides
 * and lone surrogates become visible `\xNN` / `\u{...}` escapes (CRLF becomes "\n"). Then,
 * when more than `maxBytes` is left, the head and the tail are kept (half each, cut on
 * character boundaries) around a marked cut, "\n… [N bytes cut] …\n", N counting the bytes
 * of the escaped text left out. Renderers still escape for their own format (HTML, XML).
 */
export function capStepOutput(text: string, maxBytes = STEP_OUTPUT_MAX_BYTES): string {
  const clean = escapeControl(text, { multiline: true });
  const bytes = Buffer.from(clean, 'utf8');
  if (bytes.length <= maxBytes) return clean;
  let headEnd = Math.floor(maxBytes / 2);
  while (headEnd > 0 && continuation(bytes[headEnd])) headEnd -= 1;
  let tailStart = bytes.length - (maxBytes - Math.floor(maxBytes / 2));
  while (tailStart < bytes.length && continuation(bytes[tailStart])) tailStart += 1;
  const head = bytes.subarray(0, headEnd).toString('utf8');
  const tail = bytes.subarray(tailStart).toString('utf8');
  return `${head}\n… [${tailStart - headEnd} bytes cut] …\n${tail}`;
}


/** The exit status and output a step's result carries, as results.json keeps them (capped, escaped; empty output left out). */
export function stepOutputOf(result: StepResult): Pick<StepRecord, 'exit' | 'stdout' | 'stderr' | 'pid' | 'signal' | 'sigbus'> {
  return {
    ...(result.exit !== undefined ? { exit: result.exit } : {}),
    ...(result.stdout ? { stdout: capStepOutput(result.stdout) } : {}),
    ...(result.stderr ? { stderr: capStepOutput(result.stderr) } : {}),
    ...(result.pid !== undefined ? { pid: result.pid } : {}),
    ...(result.signal !== undefined ? { signal: result.signal } : {}),
    ...(result.programSigbus !== undefined && result.programSigbus.length > 0
      ? { sigbus: result.programSigbus.map((got) => ({ code: got.codeName, addr: got.addr, async: got.async, source: got.source, pid: got.pid, line: escapeControl(got.line).slice(0, 500) })) }
      : {}),
  };
}
