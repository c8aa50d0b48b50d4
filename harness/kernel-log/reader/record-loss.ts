/**
 * Records the host never saw. The kernel's ring buffer is finite: when the reader falls
 * behind (or starts after the buffer wrapped), /dev/kmsg returns EPIPE and continues at
 * the oldest record still there, which shows up as a jump in seq. A test must know that
 * its evidence may be incomplete, so a gap is always reported, never skipped silently.
 */
export interface RecordLoss {
  /** Last seq received before the gap; null when the gap is at the start of the stream. */
  afterSeq: number | null;
  /** First seq received after the gap. */
  nextSeq: number;
  /** How many records are missing. */
  lost: number;
  /**
   * 'ring-buffer': the kernel overwrote records before they were read.
   * 'reader-limit': the host dropped old records to stay within its memory cap.
   */
  cause: 'ring-buffer' | 'reader-limit';
}
