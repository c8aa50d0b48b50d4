/**
 * Cuts the byte stream of `cat /dev/kmsg` into raw records. Each read of /dev/kmsg returns
 * one record ending in '\n'; device properties follow as lines starting with a space, so a
 * record is complete only once the next non-continuation line (or the end) is seen.
 * Lines that are not records at all (the reader's own markers, stray shell output) are
 * handed out separately instead of being glued to a record.
 */
export class KmsgSplitter {
  private partial = '';
  private pending: string | null = null;

  constructor(
    private readonly onRecord: (raw: string) => void,
    private readonly onOtherLine: (line: string) => void = () => {},
  ) {}

  push(chunk: Buffer | string): void {
    this.partial += typeof chunk === 'string' ? chunk : chunk.toString('latin1');
    let newline = this.partial.indexOf('\n');
    while (newline !== -1) {
      this.line(this.partial.slice(0, newline));
      this.partial = this.partial.slice(newline + 1);
      newline = this.partial.indexOf('\n');
    }
  }

  /**
   * Hands out the last complete record although no next line has confirmed it yet. A live
   * reader calls this once the stream has been quiet for a moment: the kernel writes a
   * record and its property lines in one read(), so a pause means the record is whole.
   */
  flushIfLineComplete(): void {
    if (this.partial === '') this.flushPending();
  }

  /** Flushes the last record; call when the stream ended. A partial last line is dropped. */
  end(): void {
    this.flushPending();
    this.partial = '';
  }

  private line(line: string): void {
    if (line.startsWith(' ') && this.pending !== null) {
      this.pending += `\n${line}`;
      return;
    }
    this.flushPending();
    if (/^\d+,\d+,\d+,[^;]*;/.test(line)) this.pending = line;
    else this.onOtherLine(line);
  }

  private flushPending(): void {
    if (this.pending === null) return;
    const record = this.pending;
    this.pending = null;
    this.onRecord(record);
  }
}

/** Splits a whole recorded kmsg text (a fixture) into raw records. */
export function splitKmsgText(text: string): string[] {
  const records: string[] = [];
  const splitter = new KmsgSplitter((raw) => records.push(raw));
  splitter.push(text.endsWith('\n') ? text : `${text}\n`);
  splitter.end();
  return records;
}
