import { z } from 'zod';
import type { Guest } from '../vm/guest.ts';
import type { InjectionResult } from './injection.ts';

const writeReplySchema = z.object({
  ok: z.boolean(),
  errno: z.number().int().optional(),
  errnoName: z.string().optional(),
  error: z.string().optional(),
});

/**
 * Writes a value to a sysfs/debugfs file in the guest with one write(2) by the helper, so the
 * kernel's errno comes back exactly (a shell's `echo >` only prints a localised message).
 */
export async function writeGuestFile(guest: Guest, file: string, value: string): Promise<InjectionResult> {
  if (!/^\/(sys|proc)\/[A-Za-z0-9_./:-]+$/.test(file) || !/^[A-Za-z0-9_.x-]+$/.test(value)) {
    throw new Error(`refusing an unusual guest write: ${file} <- ${value}`);
  }
  const result = await guest.exec(`memharness-helper write-file ${file} ${value}`, { timeoutMs: 120_000 });
  const line = result.stdout.trim().split('\n').pop() ?? '';
  let parsed: z.infer<typeof writeReplySchema>;
  try {
    parsed = writeReplySchema.parse(JSON.parse(line));
  } catch {
    return { ok: false, message: `the helper's write-file said: ${(result.stdout + result.stderr).trim().slice(0, 300) || `exit ${result.exitCode}`}` };
  }
  return parsed.ok ? { ok: true } : { ok: false, errno: parsed.errnoName, message: parsed.error };
}
