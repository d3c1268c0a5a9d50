/** The links of emailed messages: reading the token from the fragment and nothing else. */
import { describe, expect, it } from 'vitest';
import { tokenFromHash } from './link-token.ts';

describe('tokenFromHash', () => {
  it('reads the token of an emailed link from the fragment', () => {
    expect(tokenFromHash(`#token=${'a'.repeat(43)}`)).toBe('a'.repeat(43));
  });

  it('ignores anything else', () => {
    for (const hash of [
      '',
      '#',
      '#token=',
      '#token=short',
      `#token=${'a'.repeat(43)}&x=1`,
      `#other=${'a'.repeat(43)}`,
    ]) {
      expect(tokenFromHash(hash), hash).toBeNull();
    }
  });
});
