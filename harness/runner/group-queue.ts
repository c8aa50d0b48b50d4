import type { GuestGroup, PlannedCase } from './run-plan.ts';

/** A case handed to a worker, and the group (guest configuration) it belongs to. */
export interface QueuedCase {
  groupIndex: number;
  planned: PlannedCase;
}

/** How far a group's guest is: not started, first guest booting, snapshot usable (or given up). */
export type GroupReadiness = 'unstarted' | 'booting' | 'ready';

interface GroupState {
  remaining: PlannedCase[];
  inFlight: number;
  readiness: GroupReadiness;
}

/**
 * Which case a free worker takes next (the scheduling half of Playwright's dispatcher, kept
 * pure so it can be tested without guests). Preference, in order:
 * 1. a case of a started group whose snapshot is ready: a restore costs ~0.5 s;
 * 2. the first case of a group nobody has started: its boot runs beside the others' work;
 * 3. a case of a group still booting: the worker waits for that group's snapshot, which is
 *    no slower than booting a guest of its own and needs no second boot's memory.
 * Within a group, cases go in plan order; groups in plan order.
 */
export class GroupQueue {
  private readonly groups: GroupState[];

  constructor(groups: readonly GuestGroup[]) {
    this.groups = groups.map((group) => ({ remaining: [...group.cases], inFlight: 0, readiness: 'unstarted' }));
  }

  next(): QueuedCase | null {
    const pick = this.pickGroup();
    if (pick === -1) return null;
    const state = this.groups[pick]!;
    const planned = state.remaining.shift()!;
    state.inFlight += 1;
    if (state.readiness === 'unstarted') state.readiness = 'booting';
    return { groupIndex: pick, planned };
  }

  /** The group's first guest has booted and its snapshot was saved, or it will boot per case. */
  markReady(groupIndex: number): void {
    const state = this.state(groupIndex);
    if (state.readiness !== 'unstarted') state.readiness = 'ready';
  }

  /** A case finished; true when its group has nothing left to run or running (close its pool). */
  finish(groupIndex: number): boolean {
    const state = this.state(groupIndex);
    state.inFlight -= 1;
    return state.inFlight === 0 && state.remaining.length === 0;
  }

  /** Takes every case not yet started (a stop: --max-failures or Ctrl-C), in plan order. */
  drain(): QueuedCase[] {
    const drained = this.groups.flatMap((state, groupIndex) => state.remaining.splice(0).map((planned) => ({ groupIndex, planned })));
    return drained.sort((a, b) => a.planned.index - b.planned.index);
  }

  get pending(): number {
    return this.groups.reduce((sum, state) => sum + state.remaining.length, 0);
  }

  readiness(groupIndex: number): GroupReadiness {
    return this.state(groupIndex).readiness;
  }

  private pickGroup(): number {
    const has = (state: GroupState) => state.remaining.length > 0;
    const ready = this.groups.findIndex((state) => has(state) && state.readiness === 'ready');
    if (ready !== -1) return ready;
    const unstarted = this.groups.findIndex((state) => has(state) && state.readiness === 'unstarted');
    if (unstarted !== -1) return unstarted;
    return this.groups.findIndex(has);
  }

  private state(groupIndex: number): GroupState {
    const state = this.groups[groupIndex];
    if (!state) throw new Error(`no group ${groupIndex}`);
    return state;
  }
}
