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

/**
 * "10,000 words". The digits are grouped by hand: the first toLocaleString() of a page loads the
 * ICU number formatter, ~35 ms on the editor's cold open (bench:web's CPU profile).
 */
export function wordCountText(count: number): string {
  const digits = String(Math.trunc(count)).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  return `${digits} ${count === 1 ? 'word' : 'words'}`;
}
