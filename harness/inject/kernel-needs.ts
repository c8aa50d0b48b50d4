/**
 * What an injection method or a target kind needs from the kernel under test: config options
 * (any of the accepted values) and modules the kernel must ship or build in. Declared with the
 * traits (method-traits.ts, target-kind-traits.ts); harness/suite/implied-requirements.ts turns
 * them into a case's implied requirements, so a kernel without them SKIPs the case.
 */
export type Need = { config?: Record<string, string[]>; modules?: readonly string[] };

/** Accepted values of a bool option, and of a tristate one that may be a module. */
export const Y = ['y'];
export const YM = ['y', 'm'];
