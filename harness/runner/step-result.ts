import type { SigbusInfo } from '../guest-helper/helper-messages.ts';
import type { ProgramSigbus } from './programs/program-sigbus.ts';

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
  /** program: the signal that ended it (SSH's name with SIG: SIGBUS); null: it exited. */
  signal?: string | null;
  /** program (background): it was still running when the steps ended (the harness then stopped it). */
  running?: boolean;
  /** program: the memory-error SIGBUS lines of the kernel's log that name it (programs/program-sigbus.ts). */
  programSigbus?: ProgramSigbus[];
  /** program: its process id. */
  pid?: number;
  /**
   * A background program started: its `expect:` is checked when it ends (it ends itself, or is
   * stopped when the case's steps are done), not now.
   */
  deferred?: boolean;
  /** One line for logs and failure messages. */
  summary: string;
}
