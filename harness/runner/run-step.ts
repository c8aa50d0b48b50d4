import type { Step } from '../suite/index.ts';
import type { CaseContext } from './case-context.ts';
import type { StepResult } from './step-result.ts';
import { runCgroupStep } from './steps/cgroup-step.ts';
import { runHelperStep } from './steps/helper-steps.ts';
import { runInjectStep } from './steps/inject-steps.ts';
import { runShellStep } from './steps/shell-steps.ts';
import { runProgramStep } from './steps/program-step.ts';
import { runSnapshotStep } from './steps/snapshot-step.ts';
import { runTopologyStep } from './steps/topology-steps.ts';
import { DEFAULT_WAIT_MS, runWaitStep } from './steps/wait-step.ts';

/** A step's own deadline when the suite gives none (the case deadline still applies). */
export function defaultStepTimeoutMs(step: Step): number {
  switch (step.action.kind) {
    case 'wait':
      return DEFAULT_WAIT_MS;
    case 'sleep':
      return step.action.ms + 10_000;
    case 'target':
      return 180_000;
    // Their own wait (within:) ends in an outcome; the step deadline is only a backstop.
    case 'dimm':
    case 'virtioMem':
      return step.action.withinMs + 60_000;
    default:
      return 120_000;
  }
}

/** Dispatches a step to its executor. */
export function runStep(context: CaseContext, step: Step, timeoutMs: number): Promise<StepResult> {
  const action = step.action;
  switch (action.kind) {
    case 'target':
    case 'fill':
    case 'verify':
    case 'access':
    case 'fsync':
    case 'msync':
    case 'release':
    case 'mceKill':
      return runHelperStep(context, action, step.index);
    case 'inject':
    case 'corruptFilter':
      return runInjectStep(context, action, step.index);
    case 'memoryBlock':
    case 'dimm':
    case 'virtioMem':
    case 'migrate':
      return runTopologyStep(context, action);
    case 'wait':
      // Its own deadline is the wait's: a timeout is "the kernel did not say it", not a hang.
      return runWaitStep(context, action.event, timeoutMs);
    case 'shell':
    case 'sysctl':
    case 'sleep':
      return runShellStep(context, action, timeoutMs);
    case 'snapshot':
      return runSnapshotStep(context);
    case 'program':
      return runProgramStep(context, action, step, timeoutMs);
    case 'cgroup':
      return runCgroupStep(context, action, timeoutMs);
  }
}
