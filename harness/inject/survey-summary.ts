import type { InjectionReport } from './injection-report.ts';

/** One table cell: the kernel's verdict, then what the owner saw, then the counter. */
export function summarise(report: InjectionReport): string {
  const parts: string[] = [];
  const pfn = report.injection.target.pfn;
  if (!report.injection.result.ok) parts.push(`inject failed ${report.injection.result.errno ?? report.injection.result.message ?? ''}`.trim());
  for (const event of report.events) {
    const f = event.fields as { pfn?: string; result?: string; pageType?: string; reason?: string };
    if (f.pfn !== undefined && f.pfn !== pfn && event.type !== 'mce-kill') continue;
    if (event.type === 'memory-failure') parts.push(`${f.result} (${f.pageType})`);
    else if (['already-poisoned', 'unhandlable-page', 'soft-offline', 'unpoison', 'memory-outside-kernel', 'page-migration-failed'].includes(event.type)) parts.push(event.type + (f.reason ? `: ${f.reason}` : ''));
    else if (event.type === 'mce-logged') parts.push('MCE logged');
  }
  if (report.injection.result.sigbus) parts.push(`SIGBUS ${report.injection.result.sigbus.codeName.replace('BUS_MCEERR_', '')} in action`);
  const o = report.outcome;
  if (o.asyncSignals.length > 0) parts.push(`async ${o.asyncSignals.map((s) => s.codeName.replace('BUS_MCEERR_', '')).join(',')}`);
  if (o.fsync) parts.push(`fsync ${o.fsync.ret === 0 ? 'ok' : o.fsync.errno}`);
  if (o.access) parts.push(o.access.outcome === 'ok' ? 'access ok' : `access ${o.access.sigbus?.codeName.replace('BUS_MCEERR_', '') ?? 'SIGBUS'}`);
  if (o.dataIntact !== undefined && o.dataIntact !== null) parts.push(o.dataIntact ? 'data intact' : 'DATA CHANGED');
  if (o.pfnMoved !== undefined && o.pfnMoved !== null) parts.push(o.pfnMoved ? 'pfn moved' : 'pfn kept');
  if (o.killedBy) parts.push(`helper killed SIG${o.killedBy}`);
  const hc = report.stateDiff?.meminfo.HardwareCorrupted;
  parts.push(`HC ${hc ? `${hc.delta >= 0 ? '+' : ''}${hc.delta}` : '+0'}`);
  if (report.crashes.length > 0) parts.push(`CRASH: ${report.crashes[0]!.title}`);
  if (!report.guestAlive) parts.push('guest died');
  return parts.join('; ');
}
