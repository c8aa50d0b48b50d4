import { describe, expect, it } from 'vitest';
import { guestSpecSchema } from '../vm/guest-spec.ts';
import { chooseWorkers } from './worker-count.ts';

const spec = (memoryMiB: number) => guestSpecSchema.parse({ memoryMiB });

describe('chooseWorkers', () => {
  it('runs one guest per host CPU when memory allows', () => {
    expect(chooseWorkers([spec(2048)], 40, { cpus: 2, availableMiB: 23_000 })).toEqual({ workers: 2, reason: 'auto, limited by 2 host CPU(s)' });
  });

  it('runs fewer guests when the largest would not fit in memory', () => {
    expect(chooseWorkers([spec(1024), spec(4096)], 40, { cpus: 8, availableMiB: 10_000 })).toEqual({ workers: 2, reason: 'auto, limited by 10000 MiB free for guests of up to 4352 MiB' });
  });

  it('never starts more guests than cases, and always at least one', () => {
    expect(chooseWorkers([spec(2048)], 1, { cpus: 8, availableMiB: 64_000 }).workers).toBe(1);
    expect(chooseWorkers([spec(2048)], 5, { cpus: 2, availableMiB: 500 }).workers).toBe(1);
  });
});
