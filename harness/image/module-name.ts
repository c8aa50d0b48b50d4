/**
 * The kernel treats '-' and '_' in module names as the same character (hwpoison-inject.ko
 * is the module hwpoison_inject). Everything in the harness compares canonical names.
 */
export function canonicalModuleName(name: string): string {
  return name.replaceAll('-', '_');
}

const MODULE_NAME = /^[A-Za-z0-9_-]+$/;

export function isValidModuleName(name: string): boolean {
  return MODULE_NAME.test(name);
}

/** Module name of a path from modules.dep / modules.builtin, e.g. kernel/mm/hwpoison-inject.ko.xz. */
export function moduleNameFromPath(modulePath: string): string {
  const file = modulePath.slice(modulePath.lastIndexOf('/') + 1);
  return canonicalModuleName(file.replace(/\.ko(\.(xz|zst|gz))?$/, ''));
}
