import { describe, expect, it } from 'vitest';
import { pastDeadLetters } from '../../src/parity/settle.js';

describe('a committed offset moved past dead-lettered records', () => {
  it('reaches the end when the partition ends with dead-lettered records', () => {
    expect(pastDeadLetters(8n, new Set([8n, 9n]), 10n)).toBe(10n);
  });

  it('stops at the first offset that was not dead-lettered', () => {
    expect(pastDeadLetters(8n, new Set([8n, 10n]), 12n)).toBe(9n);
  });

  it('stays put without dead letters for the partition', () => {
    expect(pastDeadLetters(8n, undefined, 10n)).toBe(8n);
    expect(pastDeadLetters(8n, new Set([3n]), 10n)).toBe(8n);
  });

  it('never moves past the end', () => {
    expect(pastDeadLetters(10n, new Set([10n, 11n]), 10n)).toBe(10n);
  });
});
