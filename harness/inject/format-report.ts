import { escapeConsoleText } from '../vm/serial-console.ts';
import type { StateDiff } from '../state/state-diff.ts';
import type { InjectionReport } from './injection-report.ts';

function sigbusText(sigbus: { codeName: string; addr: string; lsb: number } | null | undefined): string {
  return sigbus ? `SIGBUS ${sigbus.codeName} at ${sigbus.addr} (lsb ${sigbus.lsb})` : 'no signal';
}

export function formatStateDiff(diff: StateDiff | null): string[] {
  if (!diff) return ['(no snapshot after the injection: the guest is gone)'];
  const lines: string[] = [];
  for (const [key, change] of Object.entries(diff.meminfo)) {
    if (/^(HardwareCorrupted|HugePages_|MemTotal|Mlocked|Shmem|AnonHugePages|Dirty|Writeback)/.test(key)) {
      lines.push(`meminfo ${key} ${change.before} → ${change.after} (${change.delta >= 0 ? '+' : ''}${change.delta})`);
    }
  }
  for (const [node, counters] of Object.entries(diff.memoryFailure)) {
    if (!counters.available) lines.push(`${node} memory_failure stats: not available (${counters.reason})`);
    else for (const [name, change] of Object.entries(counters.value)) lines.push(`${node} memory_failure/${name} ${change.before} → ${change.after}`);
  }
  for (const [node, sizes] of Object.entries(diff.hugepages)) {
    for (const [size, pool] of Object.entries(sizes)) {
      for (const [field, change] of Object.entries(pool)) lines.push(`${node} hugepages-${size} ${field} ${change.before} → ${change.after}`);
    }
  }
  for (const [block, change] of Object.entries(diff.memoryBlocks)) {
    if (change.state) lines.push(`${block} state ${change.state.before} → ${change.state.after}`);
  }
  for (const [pfn, page] of Object.entries(diff.pages)) {
    if (!page.available) lines.push(`page ${pfn}: flags not available (${page.reason})`);
    else lines.push(`page ${pfn}: [${page.value.before.join(' ')}] → [${page.value.after.join(' ')}]`);
  }
  if (diff.tainted.available && diff.tainted.value.addedBits.length > 0) lines.push(`taint bits added: ${diff.tainted.value.addedBits.join(', ')}`);
  return lines.length > 0 ? lines : ['no change'];
}

/** The report as a kernel developer reads it on a terminal; guest text escaped. */
export function formatInjectionReport(report: InjectionReport): string {
  const { injection, outcome } = report;
  const out: string[] = [];
  const section = (title: string, lines: string[]) => {
    lines.forEach((line, i) => out.push(`${(i === 0 ? title : '').padEnd(10)}${escapeConsoleText(line)}`));
  };
  section('kernel', [`${report.kernel} (${report.accel})`]);
  const t = injection.target;
  section('injection', [
    `${injection.method} on ${t.kind} page pfn ${t.pfn} (phys ${t.physAddr}${t.vaddr ? `, vaddr ${t.vaddr}` : ''})`,
    injection.action,
    `result: ${injection.result.ok ? 'ok' : `failed${injection.result.errno ? ` ${injection.result.errno}` : ''}${injection.result.message ? `: ${injection.result.message}` : ''}`}${injection.result.sigbus ? `; ${sigbusText(injection.result.sigbus)} during the action` : ''}`,
  ]);
  const owner: string[] = [];
  if (outcome.fsync) owner.push(`fsync: ${outcome.fsync.ret === 0 ? 'ok' : outcome.fsync.errno ?? `ret ${outcome.fsync.ret}`}`);
  if (outcome.access) owner.push(`access: ${outcome.access.outcome === 'ok' ? 'ok' : sigbusText(outcome.access.sigbus)}`);
  if (outcome.dataIntact !== undefined) owner.push(`data intact: ${outcome.dataIntact === null ? 'not checked' : outcome.dataIntact ? 'yes' : 'NO'}`);
  if (outcome.pfnMoved !== undefined) owner.push(`pfn: ${outcome.pfnBefore} → ${outcome.pfnAfter}${outcome.pfnMoved ? ' (moved)' : ' (not moved)'}`);
  for (const signal of outcome.asyncSignals) owner.push(`async ${sigbusText(signal)}`);
  if (outcome.killedBy) owner.push(`the helper was killed by SIG${outcome.killedBy}`);
  section('owner', owner.length > 0 ? owner : ['(no process maps this page)']);
  section(
    'events',
    report.events.length > 0
      ? report.events.map((event) => `${event.seq !== undefined ? `[${event.seq}] ` : ''}${event.type}: ${event.text}`)
      : ['none (the kernel printed nothing about this page)'],
  );
  section('state', formatStateDiff(report.stateDiff));
  section('taint', [report.taint ? `${report.taint.value}${report.taint.letters.trim() ? ` (${report.taint.letters.trim()})` : ''}` : 'unknown']);
  section('crashes', report.crashes.length > 0 ? report.crashes.map((crash) => `${crash.kind}: ${crash.title}${crash.corrupted ? ` (corrupted: ${crash.corrupted})` : ''}`) : ['none']);
  if (report.logLosses > 0) section('warning', [`${report.logLosses} kernel log records were lost (ring buffer overflow): events may be missing`]);
  if (!report.guestAlive) section('guest', [`died; console log: ${report.consoleLog}`]);
  return `${out.join('\n')}\n`;
}
