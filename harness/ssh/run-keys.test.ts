import ssh2 from 'ssh2';
import { describe, expect, it } from 'vitest';
import { parsableKeyPair } from './run-keys.ts';

describe('parsableKeyPair', () => {
  it('throws away a generated key ssh2 cannot parse back and keeps the next one', () => {
    const good = ssh2.utils.generateKeyPairSync('ed25519');
    const malformed = { private: good.private.replace(/^(-----BEGIN OPENSSH PRIVATE KEY-----\n)(.{8})/, '$1AAAAAAAA'), public: good.public };
    expect(ssh2.utils.parseKey(malformed.private)).toBeInstanceOf(Error);
    const queue = [malformed, good];
    expect(parsableKeyPair(() => queue.shift()!)).toBe(good);
  });

  it('gives up with an error after the allowed tries', () => {
    expect(() => parsableKeyPair(() => ({ private: 'not a key', public: '' }), 3)).toThrow(/any of 3 key pairs/);
  });
});
