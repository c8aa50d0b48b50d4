import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { DUPLICATE_SIGNAL_MS, InterruptHandler } from '../util/child-processes.ts';
import { SigIntWatcher } from './sigint-watcher.ts';

// The Ctrl-C debounce with fake timers: npm/npx delivers one Ctrl-C twice (the terminal's to
// the process group, and its own forward) within a millisecond; only a Ctrl-C a second or
// more later is the user's second one. The same through npx for real: sigint-npx.guest.test.ts.

beforeEach(() => {
  vi.useFakeTimers();
});

afterEach(() => {
  vi.useRealTimers();
});

function setup() {
  const quit = vi.fn<(signal: NodeJS.Signals) => void>();
  const handler = new InterruptHandler({ quit });
  const stderr: string[] = [];
  const stops: NodeJS.Signals[] = [];
  const watcher = new SigIntWatcher((signal) => stops.push(signal), { subscribe: (listener) => handler.add(listener), stderr: { write: (text: string) => stderr.push(text) } });
  return { handler, quit, watcher, stops, stderr };
}

describe('Ctrl-C', () => {
  it('takes a SIGINT repeated within a second as the same Ctrl-C: one orderly stop, no quit', () => {
    const { handler, quit, watcher, stops, stderr } = setup();
    expect(handler.handle('SIGINT')).toBe('listeners');
    expect(handler.handle('SIGINT')).toBe('duplicate');
    vi.advanceTimersByTime(DUPLICATE_SIGNAL_MS - 1);
    expect(handler.handle('SIGINT')).toBe('duplicate');
    expect(stops).toEqual(['SIGINT']);
    expect(watcher.interrupted).toBe(true);
    expect(watcher.signal.aborted).toBe(true);
    expect(quit).not.toHaveBeenCalled();
    expect(stderr.join('')).toMatch(/^\nmemharness: SIGINT: stopping; finishing the results/);
  });

  it('quits at once on a second Ctrl-C a second or more after the first', () => {
    const { handler, quit, stops } = setup();
    handler.handle('SIGINT');
    vi.advanceTimersByTime(DUPLICATE_SIGNAL_MS);
    expect(handler.handle('SIGINT')).toBe('quit');
    expect(quit).toHaveBeenCalledWith('SIGINT');
    expect(stops).toEqual(['SIGINT']);
  });

  it('counts the window from the Ctrl-C that counted, not from its duplicates', () => {
    const { handler, quit } = setup();
    handler.handle('SIGINT');
    vi.advanceTimersByTime(600);
    expect(handler.handle('SIGINT')).toBe('duplicate');
    vi.advanceTimersByTime(400);
    expect(handler.handle('SIGINT')).toBe('quit');
    expect(quit).toHaveBeenCalledTimes(1);
  });

  it('takes another signal right after Ctrl-C as a second interrupt (SIGTERM from a CI cancel)', () => {
    const { handler, quit, stops } = setup();
    handler.handle('SIGINT');
    expect(handler.handle('SIGTERM')).toBe('quit');
    expect(quit).toHaveBeenCalledWith('SIGTERM');
    expect(stops).toEqual(['SIGINT']);
  });

  it("drops the first Ctrl-C's duplicate even once the run has stopped listening", () => {
    const { handler, quit, watcher } = setup();
    handler.handle('SIGINT');
    watcher.disarm();
    // npm's forward arrives after the run finished its results: it must not exit(130) midway through what comes next.
    expect(handler.handle('SIGINT')).toBe('duplicate');
    expect(quit).not.toHaveBeenCalled();
    vi.advanceTimersByTime(DUPLICATE_SIGNAL_MS);
    // Nobody listens any more: Ctrl-C quits at once.
    expect(handler.handle('SIGINT')).toBe('quit');
  });

  it('without a listener quits on the first Ctrl-C; a later listener gets its own first one', () => {
    const quit = vi.fn<(signal: NodeJS.Signals) => void>();
    const handler = new InterruptHandler({ quit });
    expect(handler.handle('SIGINT')).toBe('quit');
    vi.advanceTimersByTime(5_000);
    const heard: NodeJS.Signals[] = [];
    const dispose = handler.add((signal) => heard.push(signal));
    expect(handler.handle('SIGINT')).toBe('listeners');
    expect(heard).toEqual(['SIGINT']);
    dispose();
    vi.advanceTimersByTime(5_000);
    handler.add((signal) => heard.push(signal));
    expect(handler.handle('SIGHUP')).toBe('listeners');
    expect(heard).toEqual(['SIGINT', 'SIGHUP']);
  });
});
