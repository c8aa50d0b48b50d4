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
  /** One line for logs and failure messages. */
  summary: string;
}
