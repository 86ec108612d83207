import { describe, expect, it } from 'vitest';
import { newClusterId } from '../../src/stack/services/kafka.js';

describe('the embedded broker cluster id', () => {
  it('is 16 bytes in base64url', () => {
    expect(newClusterId()).toMatch(/^[A-Za-z0-9_][A-Za-z0-9_-]{21}$/);
  });

  it('never starts with "-", which the storage tool would take for a flag', () => {
    const draws = [Buffer.from('f8'.repeat(16), 'hex'), Buffer.from('00'.repeat(16), 'hex')];
    expect(draws[0]!.toString('base64url').startsWith('-')).toBe(true);
    expect(newClusterId(() => draws.shift()!)).toBe('AAAAAAAAAAAAAAAAAAAAAA');
  });
});
