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

type InterruptListener = (signal: NodeJS.Signals) => void;
const interruptListeners = new Set<InterruptListener>();

/**
 * Lets a command react to Ctrl-C (stop starting work, write what is done) before the
 * children are killed. Without listeners, Ctrl-C kills the children and exits at once.
 */
export function onInterrupt(listener: InterruptListener): () => void {
  installExitHooks();
  interruptListeners.add(listener);
  return () => interruptListeners.delete(listener);
}

function installExitHooks(): void {
  if (hooksInstalled) return;
  hooksInstalled = true;
  process.on('exit', () => killAllChildGroups());
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    let count = 0;
    process.on(signal, () => {
      count += 1;
      if (interruptListeners.size > 0 && count === 1) {
        for (const listener of interruptListeners) listener(signal);
        return;
      }
      killAllChildGroups();
      process.exit(128 + (signal === 'SIGINT' ? 2 : signal === 'SIGTERM' ? 15 : 1));
    });
  }
}
