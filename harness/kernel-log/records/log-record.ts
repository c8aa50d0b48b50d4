/**
 * One kernel log line as every later layer sees it, whichever way it reached the host.
 *
 * - `kmsg` records come from /dev/kmsg inside the guest: they carry the kernel's sequence
 *   number and level, but the stream dies with the guest's network stack on a panic.
 * - `console` records come from the serial console: they survive a panic, but only carry
 *   what the kernel printed there (messages below the console loglevel are missing) and
 *   interleave with userspace output (the init, a shell prompt), which becomes records
 *   without a kernel time.
 */
export interface LogRecord {
  source: 'kmsg' | 'console';
  /** The kernel's record sequence number (kmsg only). */
  seq?: number;
  /** The kernel's printk timestamp (local_clock) in microseconds, from either source. */
  kernelTimeUs?: number;
  /** Syslog level 0 (emerg) .. 7 (debug); kmsg always has it, the console almost never. */
  level?: number;
  /** Milliseconds since QEMU started, when the host received the line. */
  hostMs?: number;
  /** The message without any prefix, decoded byte-for-byte (latin1), like the console. */
  text: string;
}

export type LogSource = LogRecord['source'];
