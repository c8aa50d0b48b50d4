import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import type { Guest } from './guest.ts';
import { addDimm, blocksOfRange, describeBlocks, explainRefusal, ostStatusName, removeDimm, resizeVirtioMem } from './memory-devices.ts';
import { QmpError, type QmpEvent } from './qmp-client.ts';

/** A QMP peer that answers from a script and emits the events a test schedules. */
class FakeQmp extends EventEmitter<{ event: [QmpEvent] }> {
  readonly calls: Array<{ command: string; args?: Record<string, unknown> }> = [];
  constructor(private readonly answer: (command: string, args: Record<string, unknown> | undefined, qmp: FakeQmp) => unknown) {
    super();
  }
  async execute<T>(command: string, args?: Record<string, unknown>): Promise<T> {
    this.calls.push({ command, ...(args ? { args } : {}) });
    const value = this.answer(command, args, this);
    if (value instanceof Error) throw value;
    return value as T;
  }
  later(event: QmpEvent, ms = 5): void {
    setTimeout(() => this.emit('event', event), ms);
  }
}

function fakeGuest(qmp: FakeQmp, exec: (command: string) => { exitCode: number; stdout: string }) {
  const marks: string[] = [];
  const guest = {
    machine: { qmp },
    exec: async (command: string) => ({ stderr: '', ...exec(command) }),
    markUnfitForSnapshot: (reason: string) => marks.push(reason),
  };
  return { guest: guest as unknown as Guest, marks };
}

const ost = (device: string | undefined, source: number, status: number): QmpEvent => ({ event: 'ACPI_DEVICE_OST', data: { info: { ...(device ? { device } : {}), source, status, slot: '0', 'slot-type': 'DIMM' } } });
const BLOCK_SIZE = { exitCode: 0, stdout: '8000000\n' };

describe('memory block arithmetic', () => {
  it('lists the blocks of a range and names runs of them', () => {
    const block = 128n << 20n;
    expect(blocksOfRange(0x100000000n, 256n << 20n, block)).toEqual([32, 33]);
    expect(blocksOfRange(0x42400000n, 100n << 20n, block)).toEqual([8, 9]);
    expect(blocksOfRange(0n, 0n, block)).toEqual([]);
    expect(describeBlocks([33, 32, 35])).toBe('memory32-33, memory35');
    expect(describeBlocks([])).toBe('no blocks');
  });

  it('names ACPI _OST status codes', () => {
    expect(ostStatusName(0x82)).toBe('0x82 (device busy)');
    expect(ostStatusName(0x99)).toBe('0x99 (unknown)');
  });

  it("picks the kernel's words about a failed offline", () => {
    expect(explainRefusal(['Fallback order for Node 0: 0', 'page dumped because: unmovable page', 'memory memory40: Offline failed.', 'page dumped because: unmovable page'])).toBe(
      'page dumped because: unmovable page; memory memory40: Offline failed.',
    );
  });
});

describe('addDimm', () => {
  const device = { type: 'dimm', data: { id: 'd1', addr: 0x100000000, size: 256 << 20, node: 1 } };

  it('adds the backend and the device, then waits for the guest to list the blocks', async () => {
    const qmp = new FakeQmp((command) => (command === 'query-memory-devices' ? [device] : {}));
    let polls = 0;
    const { guest, marks } = fakeGuest(qmp, (command) => {
      if (command.includes('block_size_bytes')) return BLOCK_SIZE;
      return ++polls < 3 ? { exitCode: 1, stdout: '' } : { exitCode: 0, stdout: 'offline\noffline\n' };
    });
    const added = await addDimm(guest, { id: 'd1', sizeMiB: 256, node: 1, withinMs: 5_000 });
    expect(added).toMatchObject({ ok: true, reason: null, blocks: [32, 33], summary: 'added DIMM d1 (256 MiB at 0x100000000, node 1): memory32-33 offline' });
    expect(qmp.calls.slice(0, 2)).toEqual([
      { command: 'object-add', args: { 'qom-type': 'memory-backend-ram', id: 'mem-d1', size: 256 << 20 } },
      { command: 'device_add', args: { driver: 'pc-dimm', id: 'd1', memdev: 'mem-d1', node: 1 } },
    ]);
    expect(marks).toHaveLength(1);
  });

  it('takes the backend back when QEMU refuses the device', async () => {
    const qmp = new FakeQmp((command) => (command === 'device_add' ? new QmpError('device_add', 'GenericError', 'no slot for DIMM') : {}));
    const { guest, marks } = fakeGuest(qmp, () => BLOCK_SIZE);
    const added = await addDimm(guest, { id: 'd1', sizeMiB: 256, node: null, withinMs: 1_000 });
    expect(added).toMatchObject({ ok: false, reason: 'QEMU refused the device: GenericError: no slot for DIMM' });
    expect(qmp.calls.map((call) => call.command)).toEqual(['object-add', 'device_add', 'object-del']);
    expect(marks).toEqual([]);
  });

  it('reports a failed insertion from the guest and a deadline that passed', async () => {
    const qmp = new FakeQmp((command, _args, self) => {
      if (command === 'device_add') self.later(ost('d1', 1, 1));
      return command === 'query-memory-devices' ? [device] : {};
    });
    const { guest } = fakeGuest(qmp, (command) => (command.includes('block_size_bytes') ? BLOCK_SIZE : { exitCode: 1, stdout: '' }));
    const failed = await addDimm(guest, { id: 'd1', sizeMiB: 256, node: 1, withinMs: 2_000 });
    expect(failed.reason).toBe("the guest's ACPI _OST for the insertion is 0x1 (non-specific failure)");

    const silent = new FakeQmp((command) => (command === 'query-memory-devices' ? [device] : {}));
    const late = await addDimm(fakeGuest(silent, (command) => (command.includes('block_size_bytes') ? BLOCK_SIZE : { exitCode: 1, stdout: '' })).guest, { id: 'd1', sizeMiB: 256, node: 1, withinMs: 300 });
    expect(late.reason).toBe('the guest did not list memory32-33 within 0.3 s (256 MiB at 0x100000000, node 1)');
  });
});

describe('removeDimm', () => {
  it('waits for DEVICE_DELETED and deletes the backend', async () => {
    const qmp = new FakeQmp((command, _args, self) => {
      if (command === 'device_del') {
        self.later(ost('d1', 3, 0x84));
        self.later({ event: 'DEVICE_DELETED', data: { device: 'd1', path: '/machine/peripheral/d1' } }, 10);
      }
      return {};
    });
    const { guest, marks } = fakeGuest(qmp, () => BLOCK_SIZE);
    const removed = await removeDimm(guest, { id: 'd1', withinMs: 2_000, guestLog: () => [] });
    expect(removed).toMatchObject({ ok: true, reason: null });
    expect(qmp.calls.map((call) => call.command)).toEqual(['device_del', 'object-del']);
    expect(marks).toHaveLength(1);
  });

  it('reports a refusal with the _OST status and what the guest logged', async () => {
    const qmp = new FakeQmp((command, _args, self) => {
      if (command === 'device_del') {
        self.later(ost('d1', 3, 0x84));
        self.later(ost('d1', 3, 0x82), 10);
      }
      return {};
    });
    const { guest } = fakeGuest(qmp, () => BLOCK_SIZE);
    const removed = await removeDimm(guest, { id: 'd1', withinMs: 2_000, guestLog: () => ['page dumped because: unmovable page', 'memory memory32: Offline failed.'] });
    expect(removed).toMatchObject({
      ok: false,
      reason: 'the guest refused the unplug: ACPI _OST status 0x82 (device busy); guest log: page dumped because: unmovable page; memory memory32: Offline failed.',
    });
    expect(qmp.calls.map((call) => call.command)).toEqual(['device_del']);
  });

  it('says so when nothing comes back in time', async () => {
    const qmp = new FakeQmp(() => ({}));
    const removed = await removeDimm(fakeGuest(qmp, () => BLOCK_SIZE).guest, { id: 'd1', withinMs: 100, guestLog: () => [] });
    expect(removed.reason).toBe('no DEVICE_DELETED for d1 within 0.1 s (no ACPI _OST either)');
  });
});

describe('resizeVirtioMem', () => {
  it('waits until the plugged size reaches the request', async () => {
    let size = 256 << 20;
    const qmp = new FakeQmp((command, args) => {
      if (command === 'qom-set') setTimeout(() => (size = args!['value'] as number), 20);
      return command === 'qom-get' ? size : {};
    });
    const { guest, marks } = fakeGuest(qmp, () => BLOCK_SIZE);
    const resized = await resizeVirtioMem(guest, { id: 'vm0', requestedMiB: 512, withinMs: 5_000 });
    expect(resized).toMatchObject({ ok: true, reason: null, pluggedMiB: 512 });
    expect(qmp.calls[1]).toEqual({ command: 'qom-set', args: { path: '/machine/peripheral/vm0', property: 'requested-size', value: 512 << 20 } });
    expect(marks).toHaveLength(1);
  });

  it('reports where it stalled when the deadline passes', async () => {
    let size = 256 << 20;
    const qmp = new FakeQmp((command) => {
      if (command === 'qom-set') size = 2 << 20;
      return command === 'qom-get' ? size : {};
    });
    const resized = await resizeVirtioMem(fakeGuest(qmp, () => BLOCK_SIZE).guest, { id: 'vm0', requestedMiB: 0, withinMs: 200 });
    expect(resized).toMatchObject({ ok: false, pluggedMiB: 2, reason: 'stalled: requested 0 MiB, plugged 2 MiB after 0.2 s (from 256 MiB)' });
  });

  it('reports a request QEMU refuses', async () => {
    const qmp = new FakeQmp((command) => (command === 'qom-get' ? new QmpError('qom-get', 'DeviceNotFound', "Device 'vm9' not found") : {}));
    const resized = await resizeVirtioMem(fakeGuest(qmp, () => BLOCK_SIZE).guest, { id: 'vm9', requestedMiB: 0, withinMs: 200 });
    expect(resized).toMatchObject({ ok: false, pluggedMiB: null, reason: "QEMU refused the resize of vm9: DeviceNotFound: Device 'vm9' not found" });
  });
});
