/**
 * Word count for the editor's status line: runs of letters and digits (apostrophes and hyphens
 * inside a word keep it one word), and every Han, Hiragana, Katakana or Hangul character on its
 * own, since those scripts do not separate words with spaces.
 */

const WORDS = /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}]|[\p{L}\p{M}\p{N}]+(?:['’-][\p{L}\p{M}\p{N}]+)*/gu;

export function countWords(text: string): number {
  let count = 0;
  for (const _ of text.matchAll(WORDS)) count++;
  return count;
}

export function wordCountText(count: number): string {
  return `${count.toLocaleString('en-US')} ${count === 1 ? 'word' : 'words'}`;
}
