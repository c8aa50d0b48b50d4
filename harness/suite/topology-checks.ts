import type { GuestSpec } from '../vm/guest-spec.ts';
import { didYouMean } from './did-you-mean.ts';
import { excludedByParameters } from './requirements.ts';
import type { ParsedStep } from './step-schema.ts';
import type { PathIssue } from './validate.ts';

/** x86 guests below 64 GiB have 128 MiB memory blocks; the kernel adds whole blocks only. */
const BLOCK_MIB = 128;

/**
 * Runtime topology steps against the guest they run on, before any boot: devices named
 * must exist (at boot, or added by an earlier step), a DIMM needs a free slot and room below
 * maxmem, a virtio-mem size must fit the device and its block size.
 */
export function checkTopologySteps(steps: readonly ParsedStep[], guest: GuestSpec | null): PathIssue[] {
  if (!guest) return [];
  const issues: PathIssue[] = [];
  const nodes = guest.numa?.length ?? 1;
  const dimms = new Map<string, number>(guest.dimms.map((dimm) => [dimm.id, dimm.sizeMiB]));
  const virtioMem = new Map(guest.virtioMem.map((device) => [device.id, device]));
  const nvdimms = new Set(guest.nvdimms.map((device) => device.id));
  const slotsUsed = () => dimms.size + nvdimms.size;
  const extraMiB = () => [...dimms.values()].reduce((a, b) => a + b, 0) + guest.nvdimms.reduce((a, d) => a + d.sizeMiB, 0) + guest.virtioMem.reduce((a, d) => a + d.maxSizeMiB, 0);
  const deviceIds = () => [...dimms.keys(), ...virtioMem.keys(), ...nvdimms];
  const unknownDevice = (id: string, path: PropertyKey[]) => {
    if (deviceIds().includes(id)) return;
    const known = deviceIds();
    issues.push({ path, message: `no memory device '${id}' at this point of the case${didYouMean(id, known) || (known.length ? ` (devices: ${known.join(', ')})` : ': declare it under guest: (dimms, virtioMem, nvdimms) or add it with a dimm step first')}` });
  };
  const checkNode = (node: number, path: PropertyKey[]) => {
    if (node >= nodes) issues.push({ path, message: `node ${node} does not exist: the guest has ${nodes} node(s)${guest.numa ? '' : ' (declare guest.numa to have more)'}` });
  };

  steps.forEach((step, index) => {
    if (excludedByParameters(step.when)) return;
    const action = step.action;
    const at = (...rest: PropertyKey[]): PropertyKey[] => ['steps', index, action.kind, ...rest];
    switch (action.kind) {
      case 'dimm':
        if (action.op === 'add') {
          if (!guest.hotplug) issues.push({ path: at('add'), message: 'adding a DIMM needs hotplug capacity: add guest.hotplug: { slots, maxMemoryMiB }' });
          if (deviceIds().includes(action.id)) issues.push({ path: at('add'), message: `device id '${action.id}' is already in use` });
          if (action.sizeMiB % BLOCK_MIB !== 0) issues.push({ path: at('sizeMiB'), message: `a DIMM is added in whole memory blocks: sizeMiB must be a multiple of ${BLOCK_MIB}` });
          if (action.node !== null) checkNode(action.node, at('node'));
          dimms.set(action.id, action.sizeMiB);
          if (guest.hotplug && slotsUsed() > guest.hotplug.slots) issues.push({ path: at('add'), message: `no free slot: ${slotsUsed()} DIMM/NVDIMM devices but hotplug.slots is ${guest.hotplug.slots}` });
          if (guest.hotplug && guest.memoryMiB + extraMiB() > guest.hotplug.maxMemoryMiB) {
            issues.push({ path: at('sizeMiB'), message: `boot memory ${guest.memoryMiB} MiB plus devices ${extraMiB()} MiB exceed hotplug.maxMemoryMiB ${guest.hotplug.maxMemoryMiB}` });
          }
        } else {
          if (!dimms.has(action.id)) {
            if (virtioMem.has(action.id) || nvdimms.has(action.id)) issues.push({ path: at('remove'), message: `'${action.id}' is not a DIMM: only pc-dimm devices are unplugged with a dimm step` });
            else unknownDevice(action.id, at('remove'));
          }
          // A refused unplug leaves the DIMM in; the step's own expect says which it is.
          const refusalExpected = step.expect.some((outcome) => outcome.ok === false);
          if (!refusalExpected) dimms.delete(action.id);
        }
        break;
      case 'virtioMem': {
        const device = virtioMem.get(action.id);
        if (!device) {
          const known = [...virtioMem.keys()];
          issues.push({ path: at('id'), message: `the guest has no virtio-mem device '${action.id}'${didYouMean(action.id, known) || (known.length ? ` (it has: ${known.join(', ')})` : ': declare it under guest.virtioMem')}` });
          break;
        }
        if (action.requestedMiB > device.maxSizeMiB) issues.push({ path: at('requestedMiB'), message: `requestedMiB ${action.requestedMiB} is above the device's maxSizeMiB ${device.maxSizeMiB}` });
        const block = device.blockSizeMiB ?? 2;
        if (action.requestedMiB % block !== 0) issues.push({ path: at('requestedMiB'), message: `requestedMiB must be a multiple of the device's block size (${block} MiB)` });
        break;
      }
      case 'memoryBlock':
        if (action.block.kind === 'device') unknownDevice(action.block.id, at('device'));
        if (action.block.kind === 'node') checkNode(action.block.node, at('node'));
        break;
      case 'target':
        if (action.placement?.device !== undefined) unknownDevice(action.placement.device, at('device'));
        if (action.placement?.node !== undefined) checkNode(action.placement.node, at('node'));
        break;
      case 'migrate':
        checkNode(action.node, at('node'));
        break;
      default:
        break;
    }
  });
  return issues;
}
