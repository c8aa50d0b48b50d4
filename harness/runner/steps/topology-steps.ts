import { blockOfPfn, setMemoryBlockState, type BlockStateChange, type BlockStateRequest } from '../../inject/memory-block.ts';
import type { StepAction } from '../../suite/index.ts';
import type { BlockSelection } from '../../suite/step-schema.ts';
import { addDimm, blocksOfRange, blockSizeBytes, describeBlocks, memoryDevice, removeDimm, resizeVirtioMem } from '../../vm/memory-devices.ts';
import type { CaseContext } from '../case-context.ts';
import type { StepResult } from '../step-result.ts';
import { targetOf } from './helper-steps.ts';

type TopologyAction = Extract<StepAction, { kind: 'memoryBlock' | 'dimm' | 'virtioMem' | 'migrate' }>;

/** Memory topology at runtime: block states, DIMM hot(un)plug, virtio-mem resizing, page migration. */
export async function runTopologyStep(context: CaseContext, action: TopologyAction): Promise<StepResult> {
  switch (action.kind) {
    case 'memoryBlock':
      return runMemoryBlockStep(context, action.block, action.state);
    case 'dimm': {
      if (action.op === 'add') {
        const added = await addDimm(context.guest, { id: action.id, sizeMiB: action.sizeMiB, node: action.node, withinMs: action.withinMs });
        return { ok: added.ok, reason: added.reason ?? '', summary: added.summary };
      }
      const mark = context.kmsg.mark();
      const removed = await removeDimm(context.guest, { id: action.id, withinMs: action.withinMs, guestLog: () => context.kmsg.since(mark).records.map((record) => record.text) });
      return { ok: removed.ok, reason: removed.reason ?? '', summary: removed.summary };
    }
    case 'virtioMem': {
      const resized = await resizeVirtioMem(context.guest, { id: action.id, requestedMiB: action.requestedMiB, withinMs: action.withinMs });
      return { ok: resized.ok, reason: resized.reason ?? '', ...(resized.pluggedMiB !== null ? { pluggedMiB: resized.pluggedMiB } : {}), summary: resized.summary };
    }
    case 'migrate':
      return runMigrateStep(context, action.target, action.node);
  }
}

/**
 * One named block is written whatever its state (the write's errno is the result). A node,
 * range or device selects its blocks that are not in the requested state yet: the offline
 * ones to online, the online ones to offline; ascending, every one tried.
 */
async function runMemoryBlockStep(context: CaseContext, selection: BlockSelection, state: BlockStateRequest): Promise<StepResult> {
  const { guest } = context;
  let blocks: string[];
  let what: string;
  if (selection.kind === 'name' || selection.kind === 'target') {
    if (selection.kind === 'name') blocks = [selection.name];
    else blocks = [blockOfPfn(targetOf(context, selection.target).page.pfn, Number(await blockSizeBytes(guest)))];
    what = blocks[0]!;
  } else {
    ({ blocks, what } = await selectBlocks(context, selection, state));
  }
  const changes: BlockStateChange[] = [];
  for (const block of blocks) changes.push(await setMemoryBlockState(guest, block, state));
  if (changes.length === 1) {
    const change = changes[0]!;
    const { result } = change;
    return {
      ok: result.ok,
      errno: result.ok ? null : (result.errno ?? null),
      state: change.stateAfter,
      summary: `${change.action}: ${result.ok ? 'ok' : `failed with ${result.errno ?? result.message ?? 'an error'}`}; state now ${change.stateAfter}`,
    };
  }
  const failed = changes.filter((change) => !change.result.ok);
  const states = [...new Set(changes.map((change) => change.stateAfter))];
  const numbers = (list: typeof changes) => list.map((change) => Number(change.block.slice('memory'.length)));
  return {
    ok: failed.length === 0,
    errno: failed[0] ? (failed[0].result.errno ?? null) : null,
    // One state when every block agrees; otherwise each block's, so a mismatch says which.
    state: states.length === 1 ? states[0]! : changes.map((change) => `${change.block}:${change.stateAfter}`).join(' '),
    summary: `${state} ${what} (${describeBlocks(numbers(changes))}): ${failed.length === 0 ? 'ok' : `${describeBlocks(numbers(failed))} failed with ${[...new Set(failed.map((change) => change.result.errno ?? change.result.message ?? 'an error'))].join(', ')}`}; state now ${states.join('/')}`,
  };
}

async function selectBlocks(context: CaseContext, selection: Exclude<BlockSelection, { kind: 'name' | 'target' }>, state: BlockStateRequest): Promise<{ blocks: string[]; what: string }> {
  const { guest } = context;
  const blockBytes = await blockSizeBytes(guest);
  let candidates: string;
  let what: string;
  switch (selection.kind) {
    case 'node':
      what = `node ${selection.node}`;
      candidates = `$(cd /sys/devices/system/node/node${selection.node} 2>/dev/null && ls -d memory[0-9]* 2>/dev/null)`;
      break;
    case 'range': {
      what = `range 0x${selection.start.toString(16)}-0x${selection.end.toString(16)}`;
      candidates = blocksOfRange(selection.start, selection.end - selection.start + 1n, blockBytes).map((block) => `memory${block}`).join(' ');
      break;
    }
    case 'device': {
      const device = await memoryDevice(guest.machine.qmp, selection.id);
      what = `${device.type} ${selection.id}`;
      candidates = blocksOfRange(device.start, device.length, blockBytes).map((block) => `memory${block}`).join(' ');
      break;
    }
  }
  const listing = await guest.exec(`cd /sys/devices/system/memory && for b in ${candidates}; do [ -e $b ] && echo "$b $(cat $b/state)"; done; true`);
  const present = listing.stdout
    .split('\n')
    .map((line) => /^memory(\d+) (\S+)$/.exec(line.trim()))
    .flatMap((match) => (match ? [{ block: Number(match[1]), state: match[2]! }] : []))
    .sort((a, b) => a.block - b.block);
  const wanted = state === 'offline' ? 'online' : 'offline';
  const blocks = present.filter((entry) => entry.state === wanted).map((entry) => `memory${entry.block}`);
  if (blocks.length === 0) {
    throw new Error(`no memory block of ${what} is ${wanted}${present.length ? ` (${present.map((entry) => `memory${entry.block} ${entry.state}`).join(', ')})` : ': it has no memory blocks'}`);
  }
  return { blocks, what };
}

/** move_pages(2) of a target's pages; the target's PFN follows its page. */
async function runMigrateStep(context: CaseContext, name: string, node: number): Promise<StepResult> {
  const target = targetOf(context, name);
  const owner = target.page.owner;
  if (!owner) throw new Error(`target ${name} (${target.page.kind}) is not mapped by the helper: nothing to migrate`);
  const reply = await context.helper.movePages(owner.name, node);
  const fromNode = reply.before?.[owner.index]?.node;
  const after = reply.nodes?.[owner.index]?.node;
  const oldPfn = target.page.pfn;
  const page = reply.target?.pages[owner.index];
  // From here on $t0 and injections mean the page where it now is.
  if (page?.pfn) target.page.pfn = BigInt(page.pfn);
  if (reply.target) target.helperTarget = reply.target;
  const moved = `pfn 0x${oldPfn.toString(16)} → 0x${target.page.pfn.toString(16)}`;
  const where = `node ${fromNode ?? '?'} → ${after !== undefined ? (after < 0 ? `error ${-after}` : `node ${after}`) : '?'}`;
  return {
    ok: reply.ok,
    errno: reply.ok ? null : (reply.errnoName ?? null),
    ...(after !== undefined && after >= 0 ? { node: after } : {}),
    ...(fromNode !== undefined && fromNode >= 0 ? { fromNode } : {}),
    summary: reply.ok ? `move_pages ${name} to node ${node}: ${where}, ${moved}` : `move_pages ${name} to node ${node} failed: ${reply.error ?? 'error'}${reply.errnoName ? ` (${reply.errnoName})` : ''}; ${where}`,
  };
}
