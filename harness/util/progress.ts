/**
 * Progress of long steps (download, image build, boot) on stderr, so stdout stays clean for
 * --json. On a TTY a step shows a live elapsed counter; elsewhere (CI logs) one line at the
 * start and one at the end.
 */
export interface Progress {
  step<T>(label: string, work: () => Promise<T>): Promise<T>;
  info(message: string): void;
}

export function createProgress(options: { quiet?: boolean; stream?: NodeJS.WriteStream } = {}): Progress {
  const stream = options.stream ?? process.stderr;
  if (options.quiet) return silentProgress;
  const live = Boolean(stream.isTTY);
  return {
    info(message) {
      stream.write(`${message}\n`);
    },
    async step(label, work) {
      const started = Date.now();
      const elapsed = () => ((Date.now() - started) / 1000).toFixed(1);
      let timer: NodeJS.Timeout | undefined;
      if (live) {
        stream.write(`… ${label}`);
        timer = setInterval(() => stream.write(`\r… ${label} (${elapsed()} s)`), 200);
      } else {
        stream.write(`… ${label}\n`);
      }
      try {
        const result = await work();
        if (timer) clearInterval(timer);
        stream.write(`${live ? '\r\x1b[K' : ''}✓ ${label} (${elapsed()} s)\n`);
        return result;
      } catch (error) {
        if (timer) clearInterval(timer);
        stream.write(`${live ? '\r\x1b[K' : ''}✗ ${label} (${elapsed()} s)\n`);
        throw error;
      }
    },
  };
}

export const silentProgress: Progress = {
  info() {},
  step(_label, work) {
    return work();
  },
};
