import { setTimeout as sleep } from 'node:timers/promises';
import { writeGuestFile } from '../../inject/guest-write.ts';
import type { StepAction } from '../../suite/index.ts';
import type { CaseContext } from '../case-context.ts';
import { substituteRefs } from '../case-refs.ts';
import { stepReferences } from '../../suite/case-references.ts';
import type { StepResult } from '../step-result.ts';

type ShellAction = Extract<StepAction, { kind: 'shell' | 'sysctl' | 'sleep' }>;

/** Plain guest commands: a shell line, sysctl writes, a pause. */
export async function runShellStep(context: CaseContext, action: ShellAction, timeoutMs: number): Promise<StepResult> {
  switch (action.kind) {
    case 'shell': {
      // The step's deadline (withDeadline) must win over SSH's own, so a slow command reads as a
      // timed-out step and not as a broken connection.
      // References ($t0.pfn, $helper.pid, $p1.pid, $t0.now, ...) are replaced by their values now.
      const command = await substituteRefs(context, action.command, stepReferences({ action }));
      const result = await context.guest.exec(command, { timeoutMs: timeoutMs + 30_000 });
      return { ok: result.exitCode === 0, exit: result.exitCode, stdout: result.stdout, stderr: result.stderr, summary: `\`${command}\` exited ${result.exitCode}` };
    }
    case 'sysctl': {
      for (const { key, value } of action.settings) {
        const file = `/proc/sys/${key.replaceAll('.', '/')}`;
        const result = await writeGuestFile(context.guest, file, value);
        if (!result.ok) return { ok: false, errno: result.errno ?? null, summary: `writing ${value} to ${file} failed with ${result.errno ?? result.message ?? 'an error'}` };
      }
      return { ok: true, errno: null, summary: `set ${action.settings.map(({ key, value }) => `${key}=${value}`).join(', ')}` };
    }
    case 'sleep':
      await sleep(action.ms, undefined, context.signal ? { signal: context.signal } : {});
      return { ok: true, summary: `slept ${action.ms} ms` };
  }
}
