/**
 * A results writer that never stops: the atomicity test runs it as a child process, reads
 * results.json while it writes, and SIGKILLs it at an arbitrary moment. Prints the number of
 * cases known to be on disk after each write.
 */
import { makeCase, sampleRun } from '../../reporters/testing/sample-run.ts';
import { ResultsWriter } from '../results-writer.ts';

const dir = process.argv[2];
if (!dir) throw new Error('usage: write-until-killed.ts RUN_DIR');

const writer = new ResultsWriter(dir);
await writer.begin(sampleRun({ cases: [], complete: false, endedAt: null }));
// Big cases make each write take long enough for the kill to land inside one.
const noise = 'Memory failure: 0x60000: recovery action for free buddy page: Recovered '.repeat(40);
for (let index = 0; ; index++) {
  const events = Array.from({ length: 60 }, (_, n) => ({ type: 'memory-failure', text: noise, atMs: n }));
  await writer.addCase(makeCase('passed', { caseId: `case-${index}`, key: `hwpoison/case-${index}`, events }));
  process.stdout.write(`${index + 1}\n`);
}
