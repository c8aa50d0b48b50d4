import process from 'node:process';

/**
 * Every long-lived child the harness starts (QEMU above all) is registered here, by the PID
 * of its own process group, so that whatever way the harness ends (normal exit, exception,
 * Ctrl-C, SIGTERM) each one is killed: only processes we started, never by name.
 */
const liveGroups = new Map<number, string>();
let hooksInstalled = false;

export function registerChildGroup(pid: number, description: string): void {
  installExitHooks();
  liveGroups.set(pid, description);
}

export function unregisterChildGroup(pid: number): void {
  liveGroups.delete(pid);
}

export function liveChildGroups(): ReadonlyMap<number, string> {
  return liveGroups;
}

/** Synchronous on purpose: it also runs from the 'exit' event, where nothing async runs. */
export function killAllChildGroups(signal: NodeJS.Signals = 'SIGKILL'): void {
  for (const pid of liveGroups.keys()) {
    try {
      process.kill(-pid, signal);
    } catch {
      // Already gone.
    }
  }
  liveGroups.clear();
}

export type InterruptListener = (signal: NodeJS.Signals) => void;

/**
 * How long a repeat of a signal counts as the same one. npm/npx can deliver one Ctrl-C twice:
 * the terminal signals the whole foreground process group, and npm, in it, forwards what it
 * got to its child (the harness itself when the script shell execs the command, as bash
 * does), both within a millisecond (npm/cli#1591, #2124, #5021). Playwright's
 * FixedNodeSIGINTHandler allows npm a second; so do we. The cost: a real second Ctrl-C
 * ("quit at once") counts only a second or more after the first.
 */
export const DUPLICATE_SIGNAL_MS = 1000;

export interface InterruptHandlerOptions {
  /** What an interrupt that no listener takes does: kill the children and exit. */
  quit(signal: NodeJS.Signals): void;
  windowMs?: number;
  now?: () => number;
}

/**
 * What SIGINT, SIGTERM and SIGHUP do. The first interrupt goes to the listeners (a command's
 * orderly stop: stop starting work, finish the results); a repeat of the same signal within
 * DUPLICATE_SIGNAL_MS of the one that counted is that one again and is dropped, listeners or
 * not; any other interrupt quits at once: a second Ctrl-C, or one no listener takes.
 */
export class InterruptHandler {
  private readonly listeners = new Set<InterruptListener>();
  private readonly counted = new Map<NodeJS.Signals, number>();
  private told = false;
  private readonly windowMs: number;
  private readonly now: () => number;

  constructor(private readonly options: InterruptHandlerOptions) {
    this.windowMs = options.windowMs ?? DUPLICATE_SIGNAL_MS;
    this.now = options.now ?? Date.now;
  }

  /** A listener until the returned function is called; once none is left, the next interrupt is a first one again. */
  add(listener: InterruptListener): () => void {
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
      if (this.listeners.size === 0) this.told = false;
    };
  }

  handle(signal: NodeJS.Signals): 'listeners' | 'duplicate' | 'quit' {
    const now = this.now();
    const last = this.counted.get(signal);
    if (last !== undefined && now - last < this.windowMs) return 'duplicate';
    this.counted.set(signal, now);
    if (this.listeners.size > 0 && !this.told) {
      this.told = true;
      for (const listener of [...this.listeners]) listener(signal);
      return 'listeners';
    }
    this.options.quit(signal);
    return 'quit';
  }
}

function quitNow(signal: NodeJS.Signals): void {
  killAllChildGroups();
  process.exit(128 + (signal === 'SIGINT' ? 2 : signal === 'SIGTERM' ? 15 : 1));
}

const interrupts = new InterruptHandler({ quit: quitNow });

/**
 * Lets a command react to Ctrl-C (stop starting work, write what is done) before the
 * children are killed. Without listeners, Ctrl-C kills the children and exits at once.
 */
export function onInterrupt(listener: InterruptListener): () => void {
  installExitHooks();
  return interrupts.add(listener);
}

function installExitHooks(): void {
  if (hooksInstalled) return;
  hooksInstalled = true;
  process.on('exit', () => killAllChildGroups());
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, () => interrupts.handle(signal));
}
