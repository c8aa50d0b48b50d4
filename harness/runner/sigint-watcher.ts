import { onInterrupt, type InterruptListener } from '../util/child-processes.ts';

export interface SigIntWatcherOptions {
  /** Where interrupts come from; default the process's (child-processes' InterruptHandler). */
  subscribe?: (listener: InterruptListener) => () => void;
  stderr?: { write(text: string): unknown };
}

/**
 * Turns the first Ctrl-C (or SIGTERM/SIGHUP) into "stop starting cases, kill the guests,
 * finish the results" (Playwright's SigIntWatcher). The same Ctrl-C delivered twice (npm/npx
 * forwarding it besides the terminal) is one: child-processes drops a repeat within
 * DUPLICATE_SIGNAL_MS. A second Ctrl-C after that kills every child and exits at once.
 */
export class SigIntWatcher {
  private readonly controller = new AbortController();
  private readonly dispose: () => void;
  private hadSignal: NodeJS.Signals | null = null;

  constructor(onSignal: (signal: NodeJS.Signals) => void, options: SigIntWatcherOptions = {}) {
    const stderr = options.stderr ?? process.stderr;
    this.dispose = (options.subscribe ?? onInterrupt)((signal) => {
      if (this.hadSignal) return;
      this.hadSignal = signal;
      stderr.write(`\nmemharness: ${signal}: stopping; finishing the results (press Ctrl-C again to quit at once)\n`);
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

  /** Stops listening; a later Ctrl-C exits at once again (but not the first one's duplicate). */
  disarm(): void {
    this.dispose();
  }
}
