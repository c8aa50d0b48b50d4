import { createHash, type Hash } from 'node:crypto';
import { createReadStream } from 'node:fs';

/**
 * Cache key of an initramfs part: a hash over labelled inputs. The labels are kept so a
 * cache entry can record what it was built from (inputs.json), which makes "why was this
 * rebuilt?" answerable.
 */
export class ContentHash {
  private readonly hash: Hash = createHash('sha256');
  readonly inputs: { label: string; sha256: string }[] = [];

  add(label: string, data: string | Buffer): this {
    const digest = createHash('sha256').update(data).digest('hex');
    this.record(label, digest);
    return this;
  }

  async addFile(label: string, file: string): Promise<this> {
    const fileHash = createHash('sha256');
    for await (const chunk of createReadStream(file)) fileHash.update(chunk as Buffer);
    this.record(label, fileHash.digest('hex'));
    return this;
  }

  /** Short hex digest used in directory names. */
  digest(): string {
    return this.hash.copy().digest('hex').slice(0, 20);
  }

  private record(label: string, sha256: string): void {
    this.inputs.push({ label, sha256 });
    // Length-prefixed so that no two different input lists hash alike.
    this.hash.update(`${label.length}:${label}\n${sha256}\n`);
  }
}
