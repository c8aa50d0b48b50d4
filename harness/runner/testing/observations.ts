import type { CaseObservations } from '../expectations/expectation-outcome.ts';

/**
 * CaseObservations for evaluator and judge tests: nothing observed, `$t0` at `pfn` (with
 * `vaddr` when given), the helper as `pid`; any field can be laid over (recorded events,
 * crash reports, state).
 */
export function testObservations(overrides: Partial<CaseObservations> & { pfn?: bigint; vaddr?: bigint; pid?: number } = {}): CaseObservations {
  const { pfn = 0x1000n, vaddr, pid = 100, ...fields } = overrides;
  return {
    events: [],
    before: null,
    after: null,
    stateDiff: null,
    sigbus: [],
    helperEnd: null,
    targets: new Map(),
    crashes: [],
    lostRecords: 0,
    refs: { target: (name) => (name === 't0' ? { pfn, ...(vaddr !== undefined ? { vaddr } : {}) } : undefined), helper: { pid, comm: 'memharness-help' } },
    blockOfTarget: () => undefined,
    ...fields,
  };
}
