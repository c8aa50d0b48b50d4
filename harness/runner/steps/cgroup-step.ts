import { z } from 'zod';
import { CGROUP_ROOT, cgroupChain } from '../../state/cgroup-files.ts';
import { shellQuote } from '../../state/snapshot-command.ts';
import type { CgroupAction, CgroupProc } from '../../suite/cgroup-schema.ts';
import type { Guest } from '../../vm/guest.ts';
import type { CaseContext } from '../case-context.ts';
import type { StepResult } from '../step-result.ts';

/**
 * The `cgroup` step: one shell script over one SSH exchange. It mounts cgroup2 at
 * /sys/fs/cgroup when nothing is mounted there (the guest's init mounts no cgroup
 * filesystem), removes a group of the same name left by an earlier case on a reused guest,
 * makes the group and its ancestors, enabling the controllers in the subtree_control of the
 * root and of each ancestor on the way down, writes `set`, then moves the processes in. Every
 * write goes through `memharness-helper write-file` (one write(2), the kernel's errno exact);
 * the first refusal ends the script and is the step's outcome.
 */

/** What one case did to a group so far (CaseContext.cgroups): a later step on it only adds. */
export interface CaseCgroup {
  controllers: Set<string>;
}

export interface CgroupPlan {
  name: string;
  /** The case's first step on this group: a leftover of that name goes, and the group is made. */
  fresh: boolean;
  /** Controllers to enable on the way down (already enabled ones are written again: a no-op). */
  controllers: readonly string[];
  set: ReadonlyArray<{ file: string; value: string }>;
  /** Processes to move in, with how the summary names them. */
  procs: ReadonlyArray<{ pid: number; label: string }>;
}

/** One write the script makes, in order; the output names it by index. */
export interface CgroupWrite {
  file: string;
  value: string;
  what: string;
}

const MARK = 'mh-cg';

export function cgroupWrites(plan: CgroupPlan): { levels: Array<{ dir: string; enable: CgroupWrite[] }>; set: CgroupWrite[]; procs: CgroupWrite[] } {
  const chain = cgroupChain(plan.name);
  const levels = chain.map((level, index) => {
    const parent = index === 0 ? CGROUP_ROOT : `${CGROUP_ROOT}/${chain[index - 1]}`;
    const file = `${parent}/cgroup.subtree_control`;
    return { dir: `${CGROUP_ROOT}/${level}`, enable: plan.controllers.map((controller) => ({ file, value: `+${controller}`, what: `enabling ${controller} in ${file}` })) };
  });
  const dir = `${CGROUP_ROOT}/${plan.name}`;
  const set = plan.set.map(({ file, value }) => ({ file: `${dir}/${file}`, value, what: `writing ${value} to ${dir}/${file}` }));
  const procs = plan.procs.map(({ pid, label }) => ({ file: `${dir}/cgroup.procs`, value: String(pid), what: `moving ${label} (pid ${pid}) into ${plan.name}` }));
  return { levels, set, procs };
}

/** Every process of a group and of its descendants back to the root, then the groups removed, deepest first. */
function removeTreeCommand(dir: string): string {
  return `for d in $(find ${shellQuote(dir)} -depth -type d 2>/dev/null); do while read -r p; do echo "$p" >${CGROUP_ROOT}/cgroup.procs; done <"$d/cgroup.procs"; rmdir "$d"; done 2>/dev/null`;
}

/** The script for one step; its output is read by parseCgroupOutput. */
export function cgroupStepScript(plan: CgroupPlan): string {
  const { levels, set, procs } = cgroupWrites(plan);
  const lines = [
    `o() { echo "${MARK}:$*"; }`,
    // The helper's reply is one JSON line; it exits 0 when the write worked.
    `w() { r=$(memharness-helper write-file "$2" "$3" 2>/dev/null); s=$?; o "op:$1:$r"; return $s; }`,
    // Builtins only (a fork costs milliseconds under TCG): is cgroup2 mounted at the root?
    `m=0; while read -r _ mp fs _; do [ "$mp $fs" = "${CGROUP_ROOT} cgroup2" ] && m=1; done </proc/mounts`,
    `if [ $m = 0 ]; then e=$(mount -t cgroup2 cgroup2 ${CGROUP_ROOT} 2>&1) && o mount:mounted || { o "mount:fail:$e"; exit 0; }; fi`,
    `read -r c <${CGROUP_ROOT}/cgroup.controllers; o "controllers:$c"`,
  ];
  if (plan.fresh) {
    const dir = `${CGROUP_ROOT}/${plan.name}`;
    lines.push(`if [ -d ${shellQuote(dir)} ]; then ${removeTreeCommand(dir)}; if [ -d ${shellQuote(dir)} ]; then o leftover:kept; else o leftover:removed; fi; fi`);
  }
  let index = 0;
  for (const level of levels) {
    for (const write of level.enable) lines.push(`w ${index++} ${shellQuote(write.file)} ${shellQuote(write.value)} || exit 0`);
    lines.push(`if [ ! -d ${shellQuote(level.dir)} ]; then e=$(mkdir ${shellQuote(level.dir)} 2>&1) || { o "mkdir:fail:${level.dir}:$e"; exit 0; }; fi`);
  }
  for (const write of [...set, ...procs]) lines.push(`w ${index++} ${shellQuote(write.file)} ${shellQuote(write.value)} || exit 0`);
  for (const { pid } of plan.procs) lines.push(`read -r g </proc/${pid}/cgroup; o "member:${pid}:$g"`);
  lines.push('o done');
  return lines.join('\n');
}

const replySchema = z.object({ ok: z.boolean(), errnoName: z.string().optional(), error: z.string().optional() });

export interface CgroupOutput {
  ok: boolean;
  errno: string | null;
  /** What failed, or what was done. */
  message: string;
  /** The root's cgroup.controllers, when read. */
  controllers: string | null;
  /** pid → its cgroup as /proc/PID/cgroup said after the moves (`0::/cg0`). */
  members: Record<number, string>;
  leftover: 'removed' | 'kept' | null;
  mounted: boolean;
}

/** strerror texts busybox prints for mount and mkdir, to an errno name (the kernel's answer, approximately). */
const STRERROR: Readonly<Record<string, string>> = {
  'No such file or directory': 'ENOENT',
  'No such device': 'ENODEV',
  'Permission denied': 'EACCES',
  'Operation not permitted': 'EPERM',
  'File exists': 'EEXIST',
  'No space left on device': 'ENOSPC',
  'Resource temporarily unavailable': 'EAGAIN',
  'Device or resource busy': 'EBUSY',
  'Invalid argument': 'EINVAL',
  'Operation not supported': 'EOPNOTSUPP',
  'Not supported': 'EOPNOTSUPP',
};

function errnoOfText(text: string): string | null {
  return Object.entries(STRERROR).find(([message]) => text.includes(message))?.[1] ?? null;
}

/** Reads the script's `mh-cg:` lines; `writes` are the plan's writes in script order. */
export function parseCgroupOutput(stdout: string, writes: readonly CgroupWrite[]): CgroupOutput {
  const out: CgroupOutput = { ok: false, errno: null, message: 'the cgroup script stopped without saying why', controllers: null, members: {}, leftover: null, mounted: false };
  let done = false;
  for (const line of stdout.split('\n')) {
    if (!line.startsWith(`${MARK}:`)) continue;
    const rest = line.slice(MARK.length + 1);
    let match: RegExpExecArray | null;
    if (rest === 'done') done = true;
    else if (rest === 'mount:mounted') out.mounted = true;
    else if ((match = /^mount:fail:(.*)$/.exec(rest))) return { ...out, errno: errnoOfText(match[1]!), message: `mounting cgroup2 at ${CGROUP_ROOT} failed: ${match[1]!.trim() || 'no message'}` };
    else if ((match = /^controllers:(.*)$/.exec(rest))) out.controllers = match[1]!.trim();
    else if ((match = /^leftover:(removed|kept)$/.exec(rest))) out.leftover = match[1] as 'removed' | 'kept';
    else if ((match = /^mkdir:fail:([^:]*):(.*)$/.exec(rest))) return { ...out, errno: errnoOfText(match[2]!), message: `making ${match[1]} failed: ${match[2]!.trim() || 'no message'}` };
    else if ((match = /^op:(\d+):(.*)$/.exec(rest))) {
      const write = writes[Number(match[1])];
      let reply: z.infer<typeof replySchema> | null = null;
      try {
        reply = replySchema.parse(JSON.parse(match[2]!));
      } catch {
        reply = null;
      }
      if (!reply || !reply.ok) {
        const errno = reply?.errnoName ?? null;
        const why = reply ? `failed with ${errno ?? reply.error ?? 'an error'}` : `got no reply from memharness-helper write-file (${match[2]!.trim() || 'nothing printed'})`;
        const hint = errno === 'ENOENT' && write?.value.startsWith('+') ? ` (the root's cgroup.controllers: ${out.controllers || 'none'})` : errno === 'EBUSY' && write?.value.startsWith('+') ? ' (a group with processes cannot enable controllers for children)' : '';
        return { ...out, errno, message: `${write?.what ?? `write ${match[1]}`} ${why}${hint}` };
      }
    } else if ((match = /^member:(\d+):(.*)$/.exec(rest))) out.members[Number(match[1])] = match[2]!.trim();
  }
  return done ? { ...out, ok: true, message: 'done' } : out;
}

/** The programs the case started (`program` steps, steps/program-step.ts), by name: only their pids are needed here. */
type WithPrograms = { programs?: ReadonlyMap<string, { pid: number }> };

/** The pids of `procs`: the helper's, and a program's through the case context. */
function pidsOf(context: CaseContext, procs: readonly CgroupProc[]): Array<{ pid: number; label: string }> {
  return procs.map((proc) => {
    switch (proc.kind) {
      case 'helper':
        if (!context.helper.pid) throw new Error('the guest helper has no pid yet');
        return { pid: context.helper.pid, label: 'the helper' };
      case 'program': {
        const program = (context as CaseContext & WithPrograms).programs?.get(proc.name);
        if (!program) throw new Error(`no program ${proc.name} is running (start it with a program step, background: true, before the cgroup step)`);
        return { pid: program.pid, label: `program ${proc.name}` };
      }
    }
  });
}

export async function runCgroupStep(context: CaseContext, action: CgroupAction, timeoutMs: number): Promise<StepResult> {
  const groups = (context.cgroups ??= new Map());
  const known = groups.get(action.name);
  // Controllers the ancestors need are the union of what this group asked for in the case: a
  // later step naming fewer leaves the earlier ones enabled.
  const plan: CgroupPlan = { name: action.name, fresh: !known, controllers: action.controllers, set: action.set, procs: pidsOf(context, action.procs) };
  const { levels, set, procs } = cgroupWrites(plan);
  const writes = [...levels.flatMap((level) => level.enable), ...set, ...procs];
  const result = await context.guest.exec(cgroupStepScript(plan), { timeoutMs: timeoutMs + 30_000 });
  const output = parseCgroupOutput(result.stdout, writes);
  // Registered even when a write failed: what was made is removed at the case's end.
  const entry = known ?? { controllers: new Set<string>() };
  for (const controller of action.controllers) entry.controllers.add(controller);
  groups.set(action.name, entry);
  const dir = `${CGROUP_ROOT}/${action.name}`;
  if (!output.ok) return { ok: false, errno: output.errno, summary: `${dir}: ${output.message}` };
  // /proc/PID/cgroup's v2 line is 0::PATH (a v1 hierarchy mounted would add lines before it: then not checked).
  const misplaced = plan.procs.filter(({ pid }) => output.members[pid]?.startsWith('0::') && output.members[pid] !== `0::/${action.name}`);
  if (misplaced.length > 0) {
    return { ok: false, errno: null, summary: `${dir}: ${misplaced.map(({ pid, label }) => `${label} (pid ${pid}) is in ${output.members[pid]}, not 0::/${action.name}`).join('; ')}` };
  }
  const parts = [
    `${known ? 'changed' : 'made'} ${dir}${output.mounted ? ` (cgroup2 mounted at ${CGROUP_ROOT})` : ''}${output.leftover === 'removed' ? ' (a leftover of that name removed first)' : output.leftover === 'kept' ? ' (a leftover of that name could not be removed)' : ''}`,
    action.controllers.length > 0 ? `controllers ${action.controllers.join(', ')}` : '',
    action.set.length > 0 ? `set ${action.set.map(({ file, value }) => `${file}=${value}`).join(', ')}` : '',
    plan.procs.length > 0 ? `moved in ${plan.procs.map(({ pid, label }) => `${label} (pid ${pid})`).join(', ')}` : '',
  ];
  return { ok: true, errno: null, summary: parts.filter(Boolean).join('; ') };
}

/** The script that undoes a case's groups: processes back to the root, groups removed (best effort). */
export function cgroupCleanupScript(names: Iterable<string>): string | null {
  const tops = [...new Set([...names].map((name) => name.split('/')[0]!))];
  if (tops.length === 0) return null;
  return tops.map((top) => `if [ -d ${shellQuote(`${CGROUP_ROOT}/${top}`)} ]; then ${removeTreeCommand(`${CGROUP_ROOT}/${top}`)}; fi`).join('\n');
}

/**
 * At the end of a case whose guest lives on (a reused guest, not the runner's disposable
 * ones): the processes the case moved go back to the root and its groups are removed.
 */
export async function removeCaseCgroups(guest: Guest, context: Pick<CaseContext, 'cgroups'>): Promise<void> {
  const script = context.cgroups ? cgroupCleanupScript(context.cgroups.keys()) : null;
  if (script) await guest.exec(script, { timeoutMs: 30_000 });
}
