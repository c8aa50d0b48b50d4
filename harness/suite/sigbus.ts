import { z } from 'zod';
import { didYouMean } from './did-you-mean.ts';
import { parseFieldValue, type ValueMatcher } from './event-matcher.ts';
import { isPlainObject } from './unknown-keys.ts';

/** si_code names for SIGBUS (include/uapi/asm-generic/siginfo.h); the helper reports codeName. */
export const SIGBUS_CODES = ['BUS_ADRALN', 'BUS_ADRERR', 'BUS_OBJERR', 'BUS_MCEERR_AR', 'BUS_MCEERR_AO'] as const;
export type SigbusCode = (typeof SIGBUS_CODES)[number];

/** A SIGBUS the helper must have received; unset parts may be anything. */
export interface SigbusMatcher {
  code: SigbusCode | null;
  /** si_addr: usually `$t0.vaddr`. */
  addr: ValueMatcher | null;
  /** si_addr_lsb: 12 for a 4 KiB page, 21 for a 2 MiB one. */
  lsb: number | null;
  /** true: delivered outside any request (early kill, BUS_MCEERR_AO); false: inside one. */
  async: boolean | null;
}

/** `none`, `any`, a code (`BUS_MCEERR_AR`), or `{ code, addr, lsb, async }`. */
export const sigbusSchema = z.unknown().transform((value, ctx): SigbusMatcher | 'none' => {
  if (value === 'none') return 'none';
  if (value === 'any') return { code: null, addr: null, lsb: null, async: null };
  if (typeof value === 'string') {
    if ((SIGBUS_CODES as readonly string[]).includes(value)) return { code: value as SigbusCode, addr: null, lsb: null, async: null };
    ctx.addIssue({ code: 'custom', message: `expected none, any, a SIGBUS code (${SIGBUS_CODES.join(', ')}) or { code, addr, lsb, async }${didYouMean(value, [...SIGBUS_CODES, 'none', 'any'])}` });
    return z.NEVER;
  }
  if (!isPlainObject(value)) {
    ctx.addIssue({ code: 'custom', message: 'expected none, any, a SIGBUS code such as BUS_MCEERR_AR, or { code, addr, lsb, async }' });
    return z.NEVER;
  }
  const matcher: SigbusMatcher = { code: null, addr: null, lsb: null, async: null };
  const keys = ['code', 'addr', 'lsb', 'async'];
  for (const [key, item] of Object.entries(value)) {
    if (key === 'code') {
      if (typeof item === 'string' && (SIGBUS_CODES as readonly string[]).includes(item)) matcher.code = item as SigbusCode;
      else ctx.addIssue({ code: 'custom', path: [key], message: `expected one of ${SIGBUS_CODES.join(', ')}${typeof item === 'string' ? didYouMean(item, SIGBUS_CODES) : ''}` });
    } else if (key === 'addr') {
      const parsed = parseFieldValue('hex', item, 'addr');
      if (typeof parsed === 'string') ctx.addIssue({ code: 'custom', path: [key], message: parsed });
      else matcher.addr = parsed;
    } else if (key === 'lsb') {
      if (typeof item === 'number' && Number.isInteger(item) && item >= 0 && item < 64) matcher.lsb = item;
      else ctx.addIssue({ code: 'custom', path: [key], message: 'expected the si_addr_lsb, e.g. 12 for a 4 KiB page' });
    } else if (key === 'async') {
      if (typeof item === 'boolean') matcher.async = item;
      else ctx.addIssue({ code: 'custom', path: [key], message: 'expected true (outside any request: early kill) or false' });
    } else {
      ctx.addIssue({ code: 'custom', path: [key], params: { part: 'key' }, message: `unknown key '${key}'${didYouMean(key, keys) || ` (expected ${keys.join(', ')})`}` });
    }
  }
  return matcher;
});
