import { describe, expect, it } from 'vitest';
import { initials } from './initials.ts';

describe('initials', () => {
  it('takes the first and last names', () => {
    expect(initials('Alice Martin')).toBe('AM');
    expect(initials('  ada  lovelace king ')).toBe('AK');
  });

  it('uses one letter for a single name and "?" for none', () => {
    expect(initials('alice')).toBe('A');
    expect(initials('   ')).toBe('?');
  });

  it('keeps characters outside the BMP whole', () => {
    expect(initials('😀 Émile')).toBe('😀É');
  });
});
