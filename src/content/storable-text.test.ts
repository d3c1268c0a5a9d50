/** Text and JSON PostgreSQL refuses become storable, without touching what is fine. */
import { describe, expect, it } from 'vitest';
import { storableJson, storableText } from './storable-text.ts';

describe('storableText [S4.2]', () => {
  it('replaces NUL and unpaired surrogates with U+FFFD and keeps pairs', () => {
    expect(storableText('a\u0000b')).toBe('a\ufffdb');
    expect(storableText('x\ud800y\udc00z')).toBe('x\ufffdy\ufffdz');
    expect(storableText('😀 naïve')).toBe('😀 naïve');
  });

  it('returns the very same string when nothing needs replacing', () => {
    const s = 'plain text';
    expect(storableText(s)).toBe(s);
  });
});

describe('storableJson [S4.2]', () => {
  it('cleans strings and keys at any depth, copying only what changed', () => {
    const shared = { level: 1 };
    const input = {
      type: 'doc',
      content: [
        { type: 'text', text: 'a\u0000' },
        { type: 'heading', attrs: shared },
      ],
      attrs: { 'k\u0000': 'v' },
    };
    const out = storableJson(input);
    expect(out).toEqual({
      type: 'doc',
      content: [
        { type: 'text', text: 'a\ufffd' },
        { type: 'heading', attrs: { level: 1 } },
      ],
      attrs: { 'k\ufffd': 'v' },
    });
    expect(input.content[0]).toEqual({ type: 'text', text: 'a\u0000' });
    expect(out.content[1]?.attrs).toBe(shared);
    expect(JSON.stringify(out)).not.toMatch(/\\u0000|\\ud[89a-f]/i);
  });

  it('returns the same object when everything is storable', () => {
    const clean = { type: 'doc', content: [{ type: 'paragraph' }], n: 1, b: true, z: null };
    expect(storableJson(clean)).toBe(clean);
  });
});
