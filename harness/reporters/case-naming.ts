import type { CaseResult, KernelInfo } from '../results/run-result.ts';

/** The kernel as a person names it: its uname -r, else the cache id. */
export function kernelLabel(kernel: KernelInfo): string {
  return kernel.release || kernel.id;
}

/** `k=v, k=v` in key order, so the same parameters always read the same. */
export function formatParameters(parameters: Record<string, string>): string {
  return Object.keys(parameters)
    .sort()
    .map((name) => `${name}=${parameters[name]}`)
    .join(', ');
}

/** Title, parameters and repeat: unique within a (suite, kernel). */
export function caseName(result: Pick<CaseResult, 'title' | 'parameters' | 'repeatIndex'>): string {
  const params = formatParameters(result.parameters);
  return `${result.title}${params ? ` [${params}]` : ''}${result.repeatIndex > 0 ? ` (repeat ${result.repeatIndex + 1})` : ''}`;
}

/** `6.12.117+deb12-amd64 › suite › title [params]`: one case across the whole run. */
export function caseLongName(result: CaseResult): string {
  return `${kernelLabel(result.kernel)} › ${result.suite} › ${caseName(result)}`;
}
