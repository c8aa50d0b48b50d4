import { decodeTaint } from '../kernel-log/crash/taint.ts';
import { parseKernelEvent } from '../kernel-log/events/parse-event.ts';
import { observeBetweenMarks } from '../kernel-log/observe.ts';
import type { KmsgMark, KmsgReader } from '../kernel-log/reader/kmsg-reader.ts';
import { normalisePfn } from '../kernel-log/events/pfn.ts';
import { HelperGoneError, type HelperSession } from '../guest-helper/helper-session.ts';
import type { SigbusInfo } from '../guest-helper/helper-messages.ts';
import { takeSnapshot, type StateSnapshot } from '../state/state-snapshot.ts';
import { diffSnapshots } from '../state/state-diff.ts';
import type { Guest } from '../vm/guest.ts';
import type { InjectionReport, ProcessOutcome } from './injection-report.ts';
import { consoleNow, describeTarget, type InjectionRecord, type Injector } from './injection.ts';
import type { PreparedTarget } from './targets.ts';
import { methodsWhere } from './method-traits.ts';
import { targetKindsWhere } from './target-kind-traits.ts';

export interface RunInjectionOptions {
  guest: Guest;
  helper: HelperSession;
  kmsg: KmsgReader;
  injector: Injector;
  target: PreparedTarget;
  /** Touch the page (or fsync a file page) after injecting, as its owner would. */
  touch: boolean;
  accel: string;
}

// What the observer does per method and kind follows from their traits (method-traits.ts, target-kind-traits.ts).
/** soft_offline_page() methods: the data moves to a new page, so the owner checks its data and PFN instead of touching poison. */
const SOFT_OFFLINE: ReadonlySet<string> = new Set(methodsWhere((traits) => traits.action === 'soft-offline'));
/** unpoison_memory() methods: there is nothing for the owner to run into. */
const UNPOISON: ReadonlySet<string> = new Set(methodsWhere((traits) => traits.action === 'unpoison'));
/**
 * Methods whose memory_failure() runs later, from a work queue: an SRAO is logged by the
 * #MC handler and handled afterwards. Touching the page before the kernel's verdict would
 * race it (seen on 6.1: the owner read the page fine, then the kernel recovered it).
 */
const ASYNCHRONOUS_METHODS: ReadonlySet<string> = new Set(methodsWhere((traits) => traits.verdict === 'asynchronous'));
/**
 * Kinds whose page is in a named file (tmpfs, the scratch filesystem), written through the
 * mapping and never synced: after a poison the owner fsyncs it before touching it, to see
 * what the lost write reports. The shmem memfd, written the same way, is not fsynced here.
 */
const UNSYNCED_NAMED_FILE_KINDS: ReadonlySet<string> = new Set(targetKindsWhere((traits) => traits.file !== null && traits.file.fs !== 'memfd' && !traits.file.synced));
const VERDICT_EVENTS = new Set(['memory-failure', 'already-poisoned', 'unhandlable-page', 'memory-outside-kernel', 'unknown-page-state']);
const VERDICT_TIMEOUT_MS = 30_000;

async function waitForVerdict(kmsg: KmsgReader, after: KmsgMark, pfn: bigint): Promise<void> {
  const wanted = normalisePfn(pfn);
  await kmsg
    .waitFor(
      (record) => {
        const event = parseKernelEvent(record.text);
        return event !== null && VERDICT_EVENTS.has(event.type) && 'pfn' in event && event.pfn === wanted;
      },
      { timeoutMs: VERDICT_TIMEOUT_MS, after, what: `the kernel's verdict on pfn ${wanted}` },
    )
    // No verdict is itself a result; the report shows the missing event.
    .catch(() => undefined);
}

/**
 * One injection, observed from every side: the state before and after, the kernel log
 * between two marks written into it (so nothing is missed and nothing older leaks in), the
 * owner's experience, and any crash. A guest that dies on the way still yields a report
 * from its console.
 */
export async function runInjection(options: RunInjectionOptions): Promise<InjectionReport> {
  const { guest, helper, kmsg, injector, target } = options;
  const pfns = [target.page.pfn];
  const run = (command: string) => guest.exec(command, { timeoutMs: 60_000 });
  const before = await takeSnapshot(run, { pfns });
  const consoleStart = guest.machine.console.lines().length;
  const startMark = await kmsg.markInKernelLog('inject-start');
  let endMark: KmsgMark | null = null;
  const asyncSignals: SigbusInfo[] = [];
  const onEvent = (event: { event: string; [key: string]: unknown }) => {
    if (event.event === 'sigbus' && event.async) asyncSignals.push(event as unknown as SigbusInfo);
  };
  helper.on('event', onEvent);

  const outcome: ProcessOutcome = { asyncSignals };
  let after: StateSnapshot | null = null;
  let guestAlive = true;
  const injectStartedAtMs = consoleNow(guest);
  let injection: InjectionRecord;
  try {
    injection = await injector.inject({ guest }, target.page);
  } catch (error) {
    if (!(await guest.diesWithin())) throw error;
    // The injection itself killed the kernel: that is the result, reported from the console.
    injection = {
      method: injector.method,
      target: describeTarget(target.page),
      action: injector.description,
      startedAtMs: injectStartedAtMs,
      endedAtMs: consoleNow(guest),
      result: { ok: false, message: 'the guest died during the injection' },
    };
    guestAlive = false;
  }
  try {
    if (!guestAlive) throw new Error('guest gone');
    if (ASYNCHRONOUS_METHODS.has(injector.method) && injection.result.ok) await waitForVerdict(kmsg, startMark, target.page.pfn);
    if (target.page.owner && options.touch) await observeOwner(helper, target, injector.method, outcome);
    endMark = await kmsg.markInKernelLog('inject-end');
    after = await takeSnapshot(run, { pfns });
  } catch (error) {
    if (guestAlive && (await guest.diesWithin())) guestAlive = false;
    else if (guestAlive && !(error instanceof HelperGoneError)) throw error;
  } finally {
    helper.off('event', onEvent);
  }
  if (helper.ended) outcome.killedBy = helper.ended.signal;

  // The same observer as a case's (kernel-log/observe.ts): the window between the marks, both channels.
  const slice = kmsg.since(startMark);
  const observation = observeBetweenMarks({ slice, start: startMark, end: endMark, console: guest.machine.console.lines().slice(consoleStart), alive: guestAlive, logPath: guest.consoleLogPath });
  const events = observation.events.map((located) => {
    const { type, ...fields } = located.event;
    return { type, text: located.record.text, seq: located.record.seq, fields };
  });
  const crashes = observation.crashes.map((crash) => ({ title: crash.title, kind: crash.kind, text: crash.text, ...(crash.corrupted ? { corrupted: crash.corruptedReason ?? 'corrupted' } : {}) }));
  const taintValue = after?.tainted.available ? after.tainted.value : null;
  return {
    kernel: guest.unameRelease ?? guest.kernel.release,
    accel: options.accel,
    injection,
    outcome,
    events,
    stateDiff: after ? diffSnapshots(before, after) : null,
    crashes,
    taint: taintValue === null ? null : { value: taintValue, letters: decodeTaint(taintValue).letters },
    logLosses: observation.lostRecords,
    guestAlive,
    consoleLog: guest.consoleLogPath,
  };
}

/** What the owner sees next: data and PFN after a soft offline, an access or fsync after a poison. */
async function observeOwner(helper: HelperSession, target: PreparedTarget, method: string, outcome: ProcessOutcome): Promise<void> {
  const owner = target.page.owner!;
  outcome.pfnBefore = target.helperTarget?.pages[owner.index]?.pfn ?? null;
  if (SOFT_OFFLINE.has(method)) {
    const now = await helper.pages(owner.name);
    outcome.pfnAfter = now.pages[owner.index]?.pfn ?? null;
    outcome.pfnMoved = outcome.pfnBefore !== null && outcome.pfnAfter !== null ? outcome.pfnBefore !== outcome.pfnAfter : null;
    outcome.dataIntact = target.fillSeed === null ? null : (await helper.verify(owner.name, target.fillSeed)).intact;
    return;
  }
  if (UNPOISON.has(method)) return;
  if (UNSYNCED_NAMED_FILE_KINDS.has(target.page.kind)) {
    const fsync = await helper.fsync(owner.name);
    outcome.fsync = { ret: fsync.ret, errno: fsync.errnoName ?? null };
  }
  const access = await helper.access(owner.name, owner.index, 'read');
  outcome.access = { outcome: access.outcome, sigbus: access.sigbus ?? null };
}

