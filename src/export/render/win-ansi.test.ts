import { describe, expect, it } from 'vitest';
import { toWinAnsi } from './win-ansi.ts';

describe('toWinAnsi', () => {
  it('keeps ASCII, Latin-1 and the typographic characters WinAnsi has', () => {
    const text = 'Plain café naïve — “quoted” ‘single’ … € • ™ Œuvre';
    expect(toWinAnsi(text)).toBe(text);
  });

  it('composes decomposed accents and strips accents where Latin-1 has no such letter', () => {
    expect(toWinAnsi('cafe\u0301')).toBe('café');
    expect(toWinAnsi('Erdős Łódź')).toBe('Erdos Lódz');
    expect(toWinAnsi('ﬁne x²')).toBe('fine x²');
  });

  it('maps look-alike punctuation and replaces what cannot be shown', () => {
    expect(toWinAnsi('a − b → c ≤ d')).toBe('a - b -> c <= d');
    expect(toWinAnsi('日本 😀\uFE0F 👍🏽')).toBe('?? ? ??');
    expect(toWinAnsi('lone \uD800 surrogate')).toBe('lone ? surrogate');
  });

  it('drops invisible and control characters, keeps line breaks and expands tabs', () => {
    expect(toWinAnsi('a\u200Bb\u0007c\r\nd\te\u00A0f')).toBe('abc\nd    e\u00A0f');
  });
});
