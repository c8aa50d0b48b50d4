/**
 * A value the kernel may not offer: older kernels lack files (per-node memory_failure stats
 * exist on 6.12, not 6.1). "Not available" must never read as zero in a diff or an assertion.
 */
export type Availability<T> = { available: true; value: T } | { available: false; reason: string };

export function available<T>(value: T): Availability<T> {
  return { available: true, value };
}

export function notAvailable<T>(reason: string): Availability<T> {
  return { available: false, reason };
}
