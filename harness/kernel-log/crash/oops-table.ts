/**
 * The kernel's crash-report headers, as data. Modelled on the idea of syzkaller's
 * pkg/report/linux.go (a table of headers, each with a title format, so identical crashes
 * get identical titles), written anew for what memharness needs.
 *
 * - `header` matches the line (a record's text) that starts the report.
 * - `title` renders the report's title from the header match and the report's guilty
 *   function; placeholders: $1..$9 for groups, {func} for the guilty function (" in {func}"
 *   is dropped when there is none), {mce} for " (<severity message>)" of a machine check.
 * - `scope`: 'trace' reports run to the end of the oops ("---[ end trace ...]---", the next
 *   header, or the end of the log); 'line' reports are the header line itself (plus
 *   `lookBack` context).
 * - `continues`: inside an open report this header does not start a new one (it is part of
 *   it: the "Kernel panic - not syncing: Fatal exception" after an oops, the page dump of a
 *   "Bad page state", the "kernel BUG at lib/list_debug.c" after a list corruption...).
 * - `lookBack`: the report starts earlier, at the nearest preceding line matching it
 *   ("------------[ cut here ]------------", the "page:" line of a page dump, the
 *   "mce: [Hardware Error]" dump before a machine-check panic).
 * - `expectsStack`: a report of this kind without a stack trace is marked corrupted.
 */
export type CrashKind =
  | 'kasan'
  | 'kmsan'
  | 'kcsan'
  | 'ubsan'
  | 'paging-request'
  | 'null-pointer'
  | 'soft-lockup'
  | 'hard-lockup'
  | 'hung-task'
  | 'rcu-stall'
  | 'bad-page-state'
  | 'bad-page-map'
  | 'bad-rss-counter'
  | 'sleeping-in-atomic'
  | 'scheduling-while-atomic'
  | 'bug'
  | 'lockdep'
  | 'warning'
  | 'kernel-bug'
  | 'list-corruption'
  | 'general-protection-fault'
  | 'double-fault'
  | 'divide-error'
  | 'invalid-opcode'
  | 'oops'
  | 'page-dump'
  | 'machine-check-panic'
  | 'panic';

export interface OopsHeader {
  kind: CrashKind;
  header: RegExp;
  title: string;
  scope: 'trace' | 'line';
  continues?: boolean;
  lookBack?: { pattern: RegExp; maxLines: number; contiguous?: RegExp };
  expectsStack: boolean;
}

const CUT_HERE = { pattern: /^-+\[ cut here \]-+$/, maxLines: 2 };
const MCE_DUMP = {
  pattern: /^mce: (?:\[Hardware Error\]: CPU \d+: Machine Check|CPUs not responding)/,
  maxLines: 12,
  contiguous: /^mce: /,
};

/** First match wins: specific headers before the generic ones of the same prefix. */
export const OOPS_HEADERS: readonly OopsHeader[] = [
  { kind: 'kasan', header: /BUG: KASAN: ([a-z-]+) in ([A-Za-z0-9_.]+)/, title: 'KASAN: $1 in $2', scope: 'trace', expectsStack: true },
  { kind: 'kasan', header: /BUG: KASAN: (.+)$/, title: 'KASAN: $1', scope: 'trace', expectsStack: true },
  { kind: 'kmsan', header: /BUG: KMSAN: ([a-z-]+) in ([A-Za-z0-9_.]+)/, title: 'KMSAN: $1 in $2', scope: 'trace', expectsStack: true },
  { kind: 'kcsan', header: /BUG: KCSAN: (.+)$/, title: 'KCSAN: $1', scope: 'trace', expectsStack: false },
  { kind: 'ubsan', header: /UBSAN: ([a-z-]+(?: [a-z-]+)*) in (\S+)/, title: 'UBSAN: $1 in $2', scope: 'trace', expectsStack: true },
  {
    kind: 'null-pointer',
    header: /BUG: (?:unable to handle kernel |kernel |Kernel )NULL pointer dereference/,
    title: 'BUG: kernel NULL pointer dereference in {func}',
    scope: 'trace',
    expectsStack: true,
  },
  {
    kind: 'paging-request',
    header: /BUG: (?:unable to handle (?:kernel paging request|page fault for address)|Unable to handle kernel data access)/,
    title: 'BUG: unable to handle kernel paging request in {func}',
    scope: 'trace',
    expectsStack: true,
  },
  { kind: 'soft-lockup', header: /BUG: soft lockup - CPU#\d+ stuck for/, title: 'BUG: soft lockup in {func}', scope: 'trace', expectsStack: true },
  { kind: 'hard-lockup', header: /Watchdog detected hard LOCKUP on cpu \d+/, title: 'watchdog: hard lockup in {func}', scope: 'trace', expectsStack: true },
  { kind: 'bad-page-state', header: /BUG: Bad page state in process (\S+)/, title: 'BUG: Bad page state', scope: 'trace', expectsStack: true },
  { kind: 'bad-page-map', header: /BUG: Bad page map in process (\S+)/, title: 'BUG: Bad page map', scope: 'trace', expectsStack: true },
  { kind: 'bad-rss-counter', header: /BUG: Bad rss-counter state/, title: 'BUG: Bad rss-counter state', scope: 'line', expectsStack: false },
  {
    kind: 'sleeping-in-atomic',
    header: /BUG: sleeping function called from invalid context/,
    title: 'BUG: sleeping function called from invalid context in {func}',
    scope: 'trace',
    expectsStack: true,
  },
  { kind: 'scheduling-while-atomic', header: /BUG: scheduling while atomic/, title: 'BUG: scheduling while atomic in {func}', scope: 'trace', expectsStack: true },
  { kind: 'bug', header: /BUG: workqueue lockup/, title: 'BUG: workqueue lockup', scope: 'trace', expectsStack: false },
  { kind: 'bug', header: /^BUG: (.+)$/, title: 'BUG: $1', scope: 'trace', lookBack: CUT_HERE, expectsStack: false },
  {
    kind: 'lockdep',
    header: /WARNING: (possible circular locking dependency detected|possible recursive locking detected|inconsistent lock state|suspicious RCU usage|possible irq lock inversion dependency detected)/,
    title: 'WARNING: $1',
    scope: 'trace',
    expectsStack: true,
  },
  { kind: 'warning', header: /WARNING: CPU: \d+ PID: \d+ at (\S+) ([A-Za-z0-9_.]+)\+0x/, title: 'WARNING in $2', scope: 'trace', lookBack: CUT_HERE, expectsStack: true },
  { kind: 'warning', header: /^WARNING: (?:CPU: \d+ PID: \d+ at )?(.+)$/, title: 'WARNING: $1', scope: 'trace', lookBack: CUT_HERE, expectsStack: true },
  {
    kind: 'list-corruption',
    header: /(list_(?:add|del)) corruption\b/,
    title: '$1 corruption in {func}',
    scope: 'trace',
    lookBack: CUT_HERE,
    expectsStack: true,
  },
  { kind: 'kernel-bug', header: /kernel BUG at (\S+?):\d+!/, title: 'kernel BUG in {func}', scope: 'trace', lookBack: CUT_HERE, expectsStack: true, continues: true },
  {
    kind: 'general-protection-fault',
    header: /^(?:Oops: )?general protection fault\b/,
    title: 'general protection fault in {func}',
    scope: 'trace',
    expectsStack: true,
  },
  { kind: 'double-fault', header: /^PANIC: double fault/, title: 'PANIC: double fault in {func}', scope: 'trace', expectsStack: false },
  { kind: 'divide-error', header: /^(?:Oops: )?divide error: /, title: 'divide error in {func}', scope: 'trace', expectsStack: true },
  { kind: 'invalid-opcode', header: /^(?:Oops: )?invalid opcode: /, title: 'invalid opcode in {func}', scope: 'trace', expectsStack: true, continues: true },
  { kind: 'oops', header: /^Oops: (?:Oops: )?([0-9a-f]{4}) \[#\d+\]/, title: 'Oops in {func}', scope: 'trace', expectsStack: true, continues: true },
  { kind: 'hung-task', header: /INFO: task (\S+?):\d+ blocked for more than \d+ seconds/, title: 'INFO: task hung in {func}', scope: 'trace', expectsStack: true },
  {
    kind: 'rcu-stall',
    header: /INFO: rcu_(?:preempt|sched|bh) (?:self-)?detected(?: expedited)? stalls?/,
    title: 'INFO: rcu detected stall in {func}',
    scope: 'trace',
    expectsStack: false,
  },
  {
    kind: 'page-dump',
    header: /^page dumped because: (.+)$/,
    title: 'page dumped because: $1',
    scope: 'line',
    lookBack: { pattern: /^page: ?/, maxLines: 12 },
    continues: true,
    expectsStack: false,
  },
  {
    kind: 'machine-check-panic',
    header: /^Kernel panic - not syncing: ((?:Fatal (?:local )?machine check|Machine check|Timeout: |Panicing machine check|Consecutive machine checks|Too many consecutive machine checks).*)$/,
    title: 'kernel panic: $1{mce}',
    scope: 'trace',
    lookBack: MCE_DUMP,
    expectsStack: false,
  },
  // After an oops (panic_on_oops) or a warning (panic_on_warn), the panic line belongs to it.
  { kind: 'panic', header: /^Kernel panic - not syncing: (Fatal exception(?: in interrupt)?|panic_on_warn set.*)$/, title: 'kernel panic: $1', scope: 'trace', continues: true, expectsStack: false },
  { kind: 'panic', header: /^Kernel panic - not syncing: (.+)$/, title: 'kernel panic: $1', scope: 'trace', expectsStack: false },
];

/** Lines that end the report they are in (inclusive). */
export const REPORT_END = /^-+\[ end (?:trace [0-9a-f]+|Kernel panic - not syncing: .*) \]-+$/;
