import { describe, expect, it } from 'vitest';
import { countWords, wordCountText } from './word-count.ts';

describe('countWords [issue 13]', () => {
  it('counts words across blocks, punctuation and contractions', () => {
    expect(countWords('')).toBe(0);
    expect(countWords('Hello, world!\nIt’s a well-known fact — 42 times.')).toBe(8);
    expect(countWords("don't stop")).toBe(2);
  });

  it('counts every script: Cyrillic and Arabic words, each CJK character', () => {
    expect(countWords('Привет мир')).toBe(2);
    expect(countWords('مرحبا بالعالم')).toBe(2);
    expect(countWords('日本語')).toBe(3);
    expect(countWords('Łódź 日本')).toBe(3);
  });

  it('says it in words, pluralised', () => {
    expect(wordCountText(1)).toBe('1 word');
    expect(wordCountText(0)).toBe('0 words');
    expect(wordCountText(10_000)).toBe('10,000 words');
    expect(wordCountText(999)).toBe('999 words');
    expect(wordCountText(1_234_567)).toBe('1,234,567 words');
  });
});
