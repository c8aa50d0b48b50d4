import { spawn } from 'node:child_process';
import fs from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { SigIntWatcher } from '../../runner/sigint-watcher.ts';
import { killAllChildGroups, registerChildGroup } from '../child-processes.ts';

// What `memharness run` does with Ctrl-C, without guests (interrupt-npx.test.ts runs it under
// npx): a long-lived child in its own process group registered as QEMU is, the SIGINT watcher,
// and on the stop half a second of "finishing the results" before the file that says so is
// written and the process exits 130. Every SIGINT the process got is counted besides.

const outDir = process.argv[2];
if (!outDir) throw new Error('usage: interrupt-fixture.ts OUT_DIR');

let delivered = 0;
process.on('SIGINT', () => {
  delivered += 1;
});

const child = spawn('sleep', ['300'], { detached: true, stdio: 'ignore' });
if (child.pid === undefined) throw new Error('sleep did not start');
registerChildGroup(child.pid, 'sleep (stands for QEMU)');

/** Renamed into place: the test polls for it and must never read half of it. */
async function writeJson(name: string, value: unknown): Promise<void> {
  await fs.writeFile(path.join(outDir!, `${name}.tmp`), JSON.stringify(value));
  await fs.rename(path.join(outDir!, `${name}.tmp`), path.join(outDir!, name));
}

const watcher = new SigIntWatcher(() => killAllChildGroups());
await writeJson('ready.json', { pid: process.pid, childPid: child.pid });
await new Promise<void>((resolve) => watcher.signal.addEventListener('abort', () => resolve(), { once: true }));
await sleep(500);
await writeJson('finished.json', { delivered });
watcher.disarm();
process.exitCode = 130;
