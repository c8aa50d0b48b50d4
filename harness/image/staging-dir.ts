import fs from 'node:fs/promises';
import path from 'node:path';

/**
 * A directory tree being assembled for one initramfs part. It remembers the modes that
 * matter (0600 keys, 0700 home) so the archiver can set every other mode to a fixed value,
 * which keeps archives independent of the builder's umask and of the source files' modes.
 */
export class StagingDir {
  readonly root: string;
  /** Archive-relative path → mode, for entries whose mode is not the default. */
  readonly modes = new Map<string, number>();

  constructor(root: string) {
    this.root = root;
  }

  /** Absolute host path of an archive-relative path (leading '/' allowed). */
  resolve(archivePath: string): string {
    return path.join(this.root, relative(archivePath));
  }

  async dir(archivePath: string, mode?: number): Promise<void> {
    await fs.mkdir(this.resolve(archivePath), { recursive: true });
    if (mode !== undefined) this.modes.set(relative(archivePath), mode);
  }

  async file(archivePath: string, content: string | Buffer, mode?: number): Promise<void> {
    await this.parentOf(archivePath);
    await fs.writeFile(this.resolve(archivePath), content);
    if (mode !== undefined) this.modes.set(relative(archivePath), mode);
  }

  /** Copies a host file's content (following symlinks). */
  async copy(hostPath: string, archivePath: string, mode?: number): Promise<void> {
    await this.parentOf(archivePath);
    await fs.copyFile(hostPath, this.resolve(archivePath));
    if (mode !== undefined) this.modes.set(relative(archivePath), mode);
  }

  async symlink(archivePath: string, target: string): Promise<void> {
    await this.parentOf(archivePath);
    await fs.symlink(target, this.resolve(archivePath));
  }

  private async parentOf(archivePath: string): Promise<void> {
    await fs.mkdir(path.dirname(this.resolve(archivePath)), { recursive: true });
  }
}

function relative(archivePath: string): string {
  const normalized = path.posix.normalize(archivePath).replace(/^\/+/, '');
  if (normalized === '' || normalized === '.' || normalized.startsWith('../')) {
    throw new Error(`bad archive path ${JSON.stringify(archivePath)}`);
  }
  return normalized;
}
