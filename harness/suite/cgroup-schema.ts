import { z } from 'zod';
import { CGROUP_CONTROLLERS, CGROUP_NAME, type CgroupController } from '../state/cgroup-files.ts';
import { didYouMean } from './did-you-mean.ts';

/**
 * A process a `cgroup` step moves into its group: `helper` is the guest helper (the owner of
 * every target, `$helper.pid`); `$NAME` the process of the `program` step named NAME, started
 * earlier with `background: true` (case-checks.ts checks that; the runner resolves its pid
 * through the case context's programs). Another kind of process is one more member here, a
 * form in procSchema below, and a case in pidsOf (harness/runner/steps/cgroup-step.ts).
 */
export type CgroupProc = { kind: 'helper' } | { kind: 'program'; name: string };

/** `cgroup: { name, controllers?, procs?, set? }`: runCgroupStep (harness/runner/steps/cgroup-step.ts). */
export interface CgroupAction {
  kind: 'cgroup';
  /** Under /sys/fs/cgroup: `cg0`, or `outer/inner` (the ancestors are made too). */
  name: string;
  /** Enabled for the group: written to the subtree_control of the root and of every ancestor. */
  controllers: CgroupController[];
  /** Moved into the group (cgroup.procs), after `set`. */
  procs: CgroupProc[];
  /** Interface files of the group written, in order, before the processes join. */
  set: Array<{ file: string; value: string }>;
}

/** Files the step itself writes: `procs:` and `controllers:` say what goes there. */
const MANAGED_FILES: Readonly<Record<string, string>> = {
  'cgroup.procs': 'procs:',
  'cgroup.threads': 'procs:',
  'cgroup.subtree_control': 'controllers: (of a child group: a nested name, outer/inner)',
};

const procSchema = z.string().transform((value, ctx): CgroupProc => {
  if (value === 'helper' || value === '$helper' || value === '$helper.pid') return { kind: 'helper' };
  const program = /^\$([a-z][a-z0-9_]{0,31})(\.pid)?$/.exec(value);
  if (program) return { kind: 'program', name: program[1]! };
  ctx.addIssue({ code: 'custom', message: `expected helper (the guest helper process) or $NAME (a background program step's process), got '${value}'${didYouMean(value, ['helper'])}` });
  return z.NEVER;
});

const settingFile = z.string().superRefine((file, ctx) => {
  if (MANAGED_FILES[file]) {
    ctx.addIssue({ code: 'custom', message: `${file} is the step's own: say it with ${MANAGED_FILES[file]}` });
    return;
  }
  const match = /^([a-z]+)\.[A-Za-z0-9_.]+$/.exec(file);
  if (!match) {
    ctx.addIssue({ code: 'custom', message: `expected an interface file of the group such as memory.max or hugetlb.2MB.max, got '${file}'` });
    return;
  }
  const prefix = match[1]!;
  if (prefix !== 'cgroup' && !(CGROUP_CONTROLLERS as readonly string[]).includes(prefix)) {
    ctx.addIssue({ code: 'custom', message: `${file} belongs to no controller a cgroup step enables (${CGROUP_CONTROLLERS.join(', ')}) nor to cgroup.*${didYouMean(prefix, [...CGROUP_CONTROLLERS, 'cgroup'])}` });
  }
});

const settingValue = z
  .union([z.string(), z.number()])
  .transform(String)
  .refine((value) => /^[A-Za-z0-9_.:+=/ -]{1,256}$/.test(value), 'a value of letters, digits, spaces and _ . : + = / - (64M, max, 0-1)');

export const cgroupStepSchema = z
  .object({
    name: z.string().regex(CGROUP_NAME, 'a cgroup name: a lowercase letter, then letters, digits, _ or -, up to 32 (cg0); nested groups joined with / (outer/inner)'),
    controllers: z.array(z.enum(CGROUP_CONTROLLERS)).optional(),
    procs: z.array(procSchema).optional(),
    set: z.record(settingFile, settingValue).optional(),
  })
  .transform(
    (value): CgroupAction => ({
      kind: 'cgroup',
      name: value.name,
      controllers: [...new Set(value.controllers ?? [])],
      procs: value.procs ?? [],
      set: Object.entries(value.set ?? {}).map(([file, setting]) => ({ file, value: setting })),
    }),
  );
