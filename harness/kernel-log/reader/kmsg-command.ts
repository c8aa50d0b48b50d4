/**
 * The guest side of KmsgReader: a shell loop around busybox `cat /dev/kmsg`.
 *
 * - The first read of a fresh /dev/kmsg descriptor starts at the oldest record in the ring
 *   buffer, so starting right after boot yields the whole boot log.
 * - When records were overwritten before being read, read() fails with EPIPE; busybox cat
 *   then exits. The loop reopens the device (which restarts at the oldest record); the
 *   host drops the records it already has by seq and reports the jump as a loss.
 * - The shell announces its PID first, so stop() can end it and its cat. Not by process
 *   group: dropbear runs every command of a connection in one group (measured), so a group
 *   kill would take other commands with it; and busybox's kill does not take "--".
 */
export const KMSG_MARKER_PREFIX = '@memharness-kmsg';

export function kmsgReaderCommand(): string {
  return [
    `echo "${KMSG_MARKER_PREFIX} pid=$$"`,
    `while :; do cat /dev/kmsg 2>/dev/null; echo "${KMSG_MARKER_PREFIX} reopen rc=$?"; sleep 0.2; done`,
  ].join('; ');
}

/** TERM to the loop shell and its children at once (else an orphaned cat lingers until the next record). */
export function kmsgStopCommand(pid: number): string {
  const children = `for s in /proc/[0-9]*/stat; do read -r c _ _ parent _ < $s 2>/dev/null && [ "$parent" = ${pid} ] && echo $c; done`;
  return `kill -TERM ${pid} $(${children}) 2>/dev/null; true`;
}

export type KmsgControlLine = { kind: 'pid'; pid: number } | { kind: 'reopen'; exitCode: number };

export function parseKmsgControlLine(line: string): KmsgControlLine | null {
  if (!line.startsWith(`${KMSG_MARKER_PREFIX} `)) return null;
  const pid = /pid=(\d+)$/.exec(line);
  if (pid) return { kind: 'pid', pid: Number(pid[1]) };
  const reopen = /reopen rc=(\d+)$/.exec(line);
  if (reopen) return { kind: 'reopen', exitCode: Number(reopen[1]) };
  return null;
}

/** A line written into the kernel log by the harness itself, to mark a point in time. */
export const KMSG_MARK_PREFIX = 'memharness-mark: ';

export function kmsgMarkCommand(label: string): string {
  // "<6>" makes it an info record; the label is restricted so it needs no shell quoting.
  return `echo '<6>${KMSG_MARK_PREFIX}${label}' > /dev/kmsg`;
}
