/**
 * Page frame numbers and addresses as normalised lowercase hex strings ("0x60acc"), so an
 * event's pfn compares equal to the one a test injected whatever way each was written. The
 * kernel prints pfns with %#lx ("0x60acc"), %lx ("60acc", no prefix) or inside a physical
 * address; every helper goes through BigInt, so 64-bit values never lose precision.
 */
export type Hex = `0x${string}`;
export type Pfn = Hex;

export const PAGE_SHIFT = 12n;

/** A pfn from kernel text or a number. Strings are always hex, with or without "0x". */
export function normalisePfn(value: string | number | bigint): Pfn {
  return normaliseHex(value);
}

/** Any hex quantity (address, status word) in the same normalised form as pfns. */
export function normaliseHex(value: string | number | bigint): Hex {
  return `0x${toBigInt(value).toString(16)}`;
}

export function pfnToBigInt(pfn: string | number | bigint): bigint {
  return toBigInt(pfn);
}

/** The pfn holding a physical address (sysfs soft_offline_page and QEMU `mce` take addresses). */
export function pfnOfPhysAddr(addr: string | number | bigint): Pfn {
  return normaliseHex(toBigInt(addr) >> PAGE_SHIFT);
}

/** The first physical address of a page. */
export function physAddrOfPfn(pfn: string | number | bigint): Hex {
  return normaliseHex(toBigInt(pfn) << PAGE_SHIFT);
}

export function isPfn(value: unknown): value is Pfn {
  return typeof value === 'string' && /^0x(?:0|[1-9a-f][0-9a-f]*)$/.test(value);
}

function toBigInt(value: string | number | bigint): bigint {
  if (typeof value === 'bigint') return checkNonNegative(value);
  if (typeof value === 'number') {
    if (!Number.isSafeInteger(value)) throw new RangeError(`not a safe integer pfn/address: ${value}`);
    return checkNonNegative(BigInt(value));
  }
  const text = value.trim().toLowerCase();
  const digits = text.startsWith('0x') ? text.slice(2) : text;
  if (!/^[0-9a-f]+$/.test(digits)) throw new RangeError(`not a hex number: ${JSON.stringify(value)}`);
  return BigInt(`0x${digits}`);
}

function checkNonNegative(value: bigint): bigint {
  if (value < 0n) throw new RangeError(`negative pfn/address: ${value}`);
  return value;
}
