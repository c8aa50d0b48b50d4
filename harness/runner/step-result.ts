import type { SigbusInfo } from '../guest-helper/helper-messages.ts';

/** What one step did, in the terms step outcomes (`expect:` on a step) are written in. */
export interface StepResult {
  ok?: boolean;
  errno?: string | null;
  /** SIGBUS delivered during the step; null: none. Undefined: the step cannot tell. */
  sigbus?: SigbusInfo | null;
  exit?: number | null;
  stdout?: string;
  stderr?: string;
  intact?: boolean;
  state?: string;
  /** dimm, virtioMem: why the step failed, was refused or stalled ('' when it did not). */
  reason?: string;
  /** virtioMem: plugged size (MiB) at the end. */
  pluggedMiB?: number;
  /** migrate: the target page's node after and before. */
  node?: number;
  fromNode?: number;
  /** One line for logs and failure messages. */
  summary: string;
}
