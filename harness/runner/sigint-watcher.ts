import { onInterrupt } from '../util/child-processes.ts';

/**
 * Turns the first Ctrl-C (or SIGTERM/SIGHUP) into "stop starting cases, kill the guests,
 * finish the results" (Playwright's SigIntWatcher). A second Ctrl-C is handled by
 * child-processes: it kills every child and exits at once.
 */
export class SigIntWatcher {
  private readonly controller = new AbortController();
  private readonly dispose: () => void;
  private hadSignal: NodeJS.Signals | null = null;

  constructor(onSignal: (signal: NodeJS.Signals) => void) {
    this.dispose = onInterrupt((signal) => {
      if (this.hadSignal) return;
      this.hadSignal = signal;
      process.stderr.write(`\nmemharness: ${signal}: stopping; finishing the results (press Ctrl-C again to quit at once)\n`);
      this.controller.abort(new Error(`interrupted by ${signal}`));
      onSignal(signal);
    });
  }

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  get interrupted(): boolean {
    return this.hadSignal !== null;
  }

  /** Stops listening; a later Ctrl-C exits at once again. */
  disarm(): void {
    this.dispose();
  }
}
