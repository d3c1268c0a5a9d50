/**
 * Search snippets built in the application tier from the query's lexemes. PostgreSQL's
 * ts_headline re-parses every returned document and was half of a search's database CPU
 * (bench:api); the database is the one shared, hard-to-scale tier, the app tier is not.
 * The scan stops once the window after the first match is full.
 */
export type Segment = { text: string; match: boolean };

const SNIPPET_WORDS = 30;
const WORDS_BEFORE_MATCH = 8;
const MIN_STEM_CHARS = 4;

/**
 * A word matches a lexeme it starts with (queries are prefix queries). Stemming can change a
 * word's last letter (company → compani), so long stems also match without their last letter.
 */
export function matchesLexeme(word: string, lexemes: string[]): boolean {
  const w = word.toLowerCase();
  return lexemes.some((l) => w.startsWith(l) || (l.length >= MIN_STEM_CHARS && w.startsWith(l.slice(0, -1))));
}

type Word = { start: number; end: number; match: boolean };

/**
 * The words of the snippet window: up to WORDS_BEFORE_MATCH words before the first match and
 * the rest after it (or the opening words when nothing matches). `more` is true when text
 * continues past the window; `from` is the index of the window's first word.
 */
function window(text: string, lexemes: string[]): { words: Word[]; from: number; more: boolean; matched: boolean } {
  const re = /[\p{L}\p{N}]+/gu;
  const before: Word[] = [];
  let index = 0;
  let firstMatchAt = -1;
  const taken: Word[] = [];
  for (let m = re.exec(text); m; m = re.exec(text), index++) {
    const w = { start: m.index, end: m.index + m[0].length, match: matchesLexeme(m[0], lexemes) };
    if (firstMatchAt < 0) {
      before.push(w);
      if (before.length > WORDS_BEFORE_MATCH + 1) before.shift();
      if (w.match) {
        firstMatchAt = index;
        taken.push(...before);
      }
      continue;
    }
    if (taken.length >= SNIPPET_WORDS)
      return { words: taken, from: firstMatchAt - (before.length - 1), more: true, matched: true };
    taken.push(w);
  }
  if (firstMatchAt >= 0) return { words: taken, from: firstMatchAt - (before.length - 1), more: false, matched: true };
  // No match: the opening words.
  const opening: Word[] = [];
  re.lastIndex = 0;
  for (let m = re.exec(text); m && opening.length <= SNIPPET_WORDS; m = re.exec(text)) {
    opening.push({ start: m.index, end: m.index + m[0].length, match: false });
  }
  const more = opening.length > SNIPPET_WORDS;
  return { words: opening.slice(0, SNIPPET_WORDS), from: 0, more, matched: false };
}

function segmentsOf(text: string, w: ReturnType<typeof window>): Segment[] {
  const segments: Segment[] = [];
  const push = (s: string, match: boolean) => {
    if (!s) return;
    const last = segments.at(-1);
    if (last && last.match === match) last.text += s;
    else segments.push({ text: s, match });
  };
  if (w.from > 0) push('… ', false);
  let cursor = w.words[0]?.start ?? 0;
  for (const word of w.words) {
    push(text.slice(cursor, word.start), false);
    push(text.slice(word.start, word.end), word.match);
    cursor = word.end;
  }
  if (w.more) push(' …', false);
  return segments;
}

/** About thirty words around the first match (or the opening), with matches marked. */
export function snippet(text: string, lexemes: string[]): Segment[] {
  return segmentsOf(text, window(text, lexemes));
}

/** The body's snippet when the body matches, else the title's. */
export function documentSnippet(title: string, body: string, lexemes: string[]): Segment[] {
  const inBody = window(body, lexemes);
  return inBody.matched ? segmentsOf(body, inBody) : snippet(title, lexemes);
}
