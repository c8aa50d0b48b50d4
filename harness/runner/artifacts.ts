import fs from 'node:fs/promises';
import path from 'node:path';
import type { ConsoleLine } from '../vm/serial-console.ts';
import { formatConsoleLogLine } from '../kernel-log/records/console-record.ts';
import type { LogRecord } from '../kernel-log/records/log-record.ts';
import type { CaseArtifacts } from '../results/run-result.ts';

/** `[    5.123456] text`, like dmesg. */
export function formatDmesg(records: readonly LogRecord[]): string {
  return records
    .map((record) => {
      const time = record.kernelTimeUs === undefined ? '' : `[${(record.kernelTimeUs / 1e6).toFixed(6).padStart(12, ' ')}] `;
      return `${time}${record.text}\n`;
    })
    .join('');
}

/**
 * Writes the case's console slice (console.log) and kernel-log slice (dmesg.txt) into
 * artifactsDir; paths come back relative to `relativeTo` (the run directory), else to artifactsDir.
 */
export async function saveCaseLogs(options: { artifactsDir: string; relativeTo?: string | undefined; console: readonly ConsoleLine[]; kmsg: readonly LogRecord[] }): Promise<CaseArtifacts> {
  await fs.mkdir(options.artifactsDir, { recursive: true });
  const consolePath = path.join(options.artifactsDir, 'console.log');
  const dmesgPath = path.join(options.artifactsDir, 'dmesg.txt');
  await fs.writeFile(consolePath, options.console.map((line) => `${formatConsoleLogLine(line.atMs, line.text)}\n`).join(''), 'latin1');
  await fs.writeFile(dmesgPath, formatDmesg(options.kmsg), 'latin1');
  const base = options.relativeTo ?? options.artifactsDir;
  return { console: path.relative(base, consolePath), dmesg: path.relative(base, dmesgPath) };
}
