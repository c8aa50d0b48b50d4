import { BLOCK_STATES } from '../inject/memory-block.ts';
import { PREPARED_FILL_SEED } from '../inject/targets.ts';
import { FILE_TARGET_KINDS } from '../inject/target-kind-traits.ts';
import { DEFAULT_DEVICE_WAIT_MS, DEFAULT_FILL_SEED, type OutcomeField, type StepKind } from './step-schema.ts';

/**
 * What each step and step outcome means, in the words suites/README.md shows a suite author
 * (harness/docs renders the tables). The schema says what parses; these say what happens.
 * Every form is parsed by the docs test, so an example the schema refuses cannot be printed.
 */
export interface StepDoc {
  /** The step as a suite writes it, one YAML line each. */
  forms: readonly string[];
  /** What it does in the guest, and the harness call that does it. */
  does: string;
  /** What a failure means when neither MUST_SUCCEED nor a default outcome says it. */
  failure?: string;
}

export interface OutcomeFieldDoc {
  /** `expect:` entries as a suite writes them. */
  forms: readonly string[];
  meaning: string;
}

const seconds = (ms: number): string => `${ms / 1000}s`;
const hex = (n: number): string => `0x${n.toString(16)}`;

export const STEP_DOCS: Readonly<Record<StepKind, StepDoc>> = {
  target: {
    forms: [
      'target: { name: t0, kind: anon }',
      'target: { name: t0, kind: anon, node: 1 }',
      'target: { name: t0, kind: free, device: d1 }',
      'target: { name: t0, kind: hugetlb, pool: 2, shared: true }',
      'target: { name: t0, kind: hugetlb, size: 1G, fault: false }',
      'target: { name: t0, kind: anon, pages: 4, index: 2 }',
    ],
    does:
      'makes a page of a [target kind](#target-kinds) exist (`setUpTarget`): that table says what each kind changes in the guest. `$t0` is then its PFN. ' +
      '`node:` places it on a NUMA node, `device:` inside a memory device ([placement](#target-kinds)); the [knobs](#target-kinds) a kind takes choose the rest: the hugetlb pool and page size, a shared mapping, a reservation without a page (`fault: false`: no PFN until a step touches it), how many pages the owner maps. ' +
      'The step summary says what the set-up changed beyond the page (a hugetlb pool, from what to what)',
  },
  fill: {
    forms: ['fill: t0', 'fill: { target: t0, seed: 7 }'],
    does:
      `writes the pattern of \`seed\` (default ${hex(DEFAULT_FILL_SEED)} = ${DEFAULT_FILL_SEED}) over the page through the helper's mapping (\`helper.fill\`); ` +
      'a `*-clean` target is rewritten through its file instead (write(2), fsync, dropped from the page cache, read back in), so it stays clean, possibly in a new page: `$t0` stays the PFN it had when prepared',
  },
  verify: {
    forms: ['verify: t0', 'verify: { target: t0, seed: 0 }'],
    does:
      `reads the page back through the helper's mapping and compares it with the pattern of \`seed\` (\`helper.verify\`); without \`seed\`, the target's last one: ${PREPARED_FILL_SEED} from \`target\`, which leaves every page the helper maps holding that seed's pattern, else the last \`fill\`'s. ` +
      'A SIGBUS while reading is recorded and the data is then not intact',
  },
  access: {
    forms: ['access: t0', 'access: { target: t0, mode: write, index: 0 }'],
    does: "touches the page through the helper's mapping (`helper.access`), one load (`read`, the default) or store (`write`: the byte already there, so the data stays intact) per 64 bytes; `index` is which of the target's `pages:` (default: the target page itself, its `index:`). On a `fault: false` target it faults the page in, and `$t0` is that page's PFN from then on",
  },
  fsync: {
    forms: ['fsync: t0'],
    does: `fsync(2) of the target's file by the helper (\`helper.fsync\`); lint wants a file-backed kind: ${FILE_TARGET_KINDS.map((kind) => `\`${kind}\``).join(', ')}`,
  },
  msync: { forms: ['msync: t0'], does: "msync(2) of the helper's mapping of the target (`helper.msync`)" },
  release: { forms: ['release: t0'], does: 'the helper unmaps and closes the target, and deletes the file it made for it (`helper.release`)' },
  mceKill: {
    forms: ['mceKill: early'],
    does: "the helper's own `prctl(PR_MCE_KILL)`: `early` (PR_MCE_KILL_EARLY), `late` (PR_MCE_KILL_LATE) or `default` (PR_MCE_KILL_CLEAR: back to `vm.memory_failure_early_kill`)",
  },
  inject: {
    forms: ['inject: { method: debugfs, target: t0 }'],
    does: 'injects into the page by an [injection method](#injection-methods) (`INJECTORS[method]`); the first `inject` takes the "before" [state](#state) snapshot unless a `snapshot: before` step came earlier',
  },
  corruptFilter: {
    forms: ['corruptFilter: { enable: true, flagsMask: 0x20, flagsValue: 0x20 }'],
    does: "writes hwpoison_inject's debugfs corrupt-filter knobs (`setCorruptFilter`, loading the module if needed): `devMajor`, `devMinor`, `memcg`, `flagsMask`, `flagsValue` (kpageflags bits), then `enable`; knobs not given are left as they are",
  },
  memoryBlock: {
    forms: ['memoryBlock: { block: memory12, state: offline }', 'memoryBlock: { block: $t0, state: online_movable }', 'memoryBlock: { node: 1, state: offline }', 'memoryBlock: { range: 0x100000000-0x10fffffff, state: offline }', 'memoryBlock: { device: d1, state: online_movable }'],
    does:
      `writes a memory block's \`state\` (\`setMemoryBlockState\`): ${BLOCK_STATES.map((state) => `\`${state}\``).join(', ')}; \`block: $t0\` is the block holding t0's page. ` +
      'With `node`, `range` (physical, as lsmem prints it) or `device` (a DIMM, NVDIMM or virtio-mem id) it writes every such block not in that state yet (offline ones to online, online ones to offline), ascending; none such is an error',
  },
  dimm: {
    forms: ['dimm: { add: d1, sizeMiB: 256, node: 1 }', 'dimm: { remove: d1 }'],
    does:
      `\`add\`: hot-adds a pc-dimm (QMP \`object-add\` memory-backend-ram \`mem-ID\`, \`device_add\`) and waits until the guest lists its memory blocks (\`within:\`, default ${seconds(DEFAULT_DEVICE_WAIT_MS)}). ` +
      "`remove`: `device_del`, waits for DEVICE_DELETED, then deletes the backend; a refusal (an ACPI _OST failure status) is the step's outcome, with the guest's log lines in its `reason`",
  },
  virtioMem: {
    forms: ['virtioMem: { id: vm0, requestedMiB: 512 }', 'virtioMem: { id: vm0, requestedMiB: 0, within: 20s }'],
    does: `sets a virtio-mem device's requested size (QMP \`qom-set\`) and waits until its plugged size matches (\`within:\`, default ${seconds(DEFAULT_DEVICE_WAIT_MS)}); otherwise the outcome says where it stalled`,
  },
  migrate: { forms: ['migrate: { target: t0, node: 1 }'], does: "move_pages(2) of the helper's page to a node (`helper.movePages`); from then on `$t0` is the PFN where the page is now" },
  wait: {
    forms: ['wait: { event: memory-failure, pfn: $t0 }', 'wait: mce-logged'],
    does: 'waits for the first kernel event of the case of that [type](#event-types) whose fields match (`waitForKernelEvent`): one logged earlier in the case, before this step, counts; none from before the case does. `wait: TYPE` for any of the type',
    failure: 'a timeout fails the case: the kernel did not say it',
  },
  shell: { forms: ["shell: 'grep HardwareCorrupted /proc/meminfo'"], does: 'runs a shell command in the guest over SSH (`guest.exec`)' },
  sysctl: {
    forms: ['sysctl: { vm.memory_failure_early_kill: 1 }'],
    does: 'writes each value to `/proc/sys/NAME` (dots become slashes) with one write(2) each, in order, stopping at the first that fails; its errno is the outcome',
  },
  sleep: { forms: ['sleep: 500ms'], does: 'waits (`500ms`, `30s`, `2m`, or seconds)' },
  snapshot: {
    forms: ['snapshot: before'],
    does: 'takes the "before" [state](#state) snapshot here, with the pages of the targets prepared so far (one per case). Default: just before the first `inject`, or at the start of a case with no `inject`; "after" is taken after the last step',
  },
  cgroup: {
    forms: ['cgroup: { name: cg0, controllers: [memory, hugetlb], procs: [helper] }', "cgroup: { name: cg0, controllers: [memory], set: { memory.max: 64M, memory.oom.group: 1 } }", 'cgroup: { name: outer/inner, controllers: [hugetlb], procs: [helper] }'],
    does:
      'makes a [cgroup](#cgroups) v2 group under `/sys/fs/cgroup` (`runCgroupStep`; cgroup2 is mounted there first if it is not), enables `controllers` in the `cgroup.subtree_control` of the root and of every ancestor, writes `set` to its files in order, then moves `procs` (`helper`: the guest helper, so the targets it maps after this are charged to the group) into its `cgroup.procs`. ' +
      'A later step on the same group changes it (more controllers, settings, processes). Its files are then [state](#state): `cgroup.cg0.memory.current`',
  },
  program: {
    forms: ['program: programs/repro.c', "program: { path: programs/hold.c, name: p1, args: ['$t0.pfn'], background: true, ready: '^ready' }", 'program: { path: programs/repro.c, cflags: [-lpthread] }'],
    does:
      "runs a user's [program](#programs) in the guest (`runProgramStep`): a C file compiled on the host (`gcc -static`, cached), or a script or static binary copied in as it is; `path` is relative to the suite file. " +
      '`args` take [references](#references); `background: true` keeps it running across the following steps (stopped with SIGTERM, then SIGKILL, at the case\'s end), `ready:` waits for a line of its stdout. `$NAME.pid` is then its process',
    failure: 'expects `exit: 0`; in the background, `running: true` (still running when the steps ended)',
  },
};

export const OUTCOME_FIELD_DOCS: Readonly<Record<OutcomeField, OutcomeFieldDoc>> = {
  ok: { forms: ['ok: true', 'ok: false'], meaning: 'the write, system call or request succeeded (dimm: the device came or went; virtioMem: the size converged)' },
  errno: { forms: ['errno: EIO', 'errno: none'], meaning: 'errno name of the failure; `none`: it did not fail' },
  sigbus: {
    forms: ['sigbus: none', 'sigbus: any', 'sigbus: BUS_MCEERR_AR', 'sigbus: { code: BUS_MCEERR_AR, addr: $t0.vaddr, lsb: 12 }'],
    meaning: "the SIGBUS the helper got during the step (code, address, address LSB); a program's: the memory-error SIGBUS the kernel's log says it sent the program ([programs](#programs))",
  },
  exit: { forms: ['exit: 1'], meaning: 'the exit status (none when a signal ended it)' },
  stdout: { forms: ["stdout: '^( 00){16}\\s*$'"], meaning: 'a regex the standard output must match somewhere; `^` and `$` match at line ends (multiline), so `^done$` matches a line `done`' },
  stderr: { forms: ["stderr: 'Input/output error'"], meaning: 'a regex the standard error must match somewhere (multiline, as for stdout)' },
  intact: { forms: ['intact: true'], meaning: 'the data read back is the pattern' },
  state: { forms: ['state: offline'], meaning: "the block's state read back after the write (several blocks: their common state, else each one's, `memory32:online memory33:offline`)" },
  reason: {
    forms: ["reason: 'stalled'"],
    meaning:
      'a regex for why it failed, was refused or stalled, e.g. `the guest refused the unplug: ACPI _OST status 0x82 (device busy); guest log: page dumped because: unmovable page; memory memory32: Offline failed.` or `stalled: requested 0 MiB, plugged 2 MiB after 20 s (from 256 MiB)`',
  },
  pluggedMiB: { forms: ['pluggedMiB: 2'], meaning: "the device's plugged size when the step ended" },
  node: { forms: ['node: 1'], meaning: 'the node the page is on after the step' },
  fromNode: { forms: ['fromNode: 0'], meaning: 'the node the page was on before it' },
  signal: { forms: ['signal: SIGBUS', 'signal: none'], meaning: 'the signal that ended the program (whoever sent it: the harness stops a background one with SIGTERM); `none`: it exited' },
  running: { forms: ['running: true'], meaning: 'a background program was still running when the steps ended (the harness then stopped it); `false`: it had ended by itself' },
};
