/**
 * Picks emphasis delimiters that CommonMark reads back as the intended marks. Three rules in the
 * spec bite a naive serializer, and each has a fix here:
 * - runs of one character nested in each other can pair up wrongly (`***a*b*c***`): nested
 *   pairs alternate `*` and `_` where `_` is allowed (`**_both_**`);
 * - a closing run touching an opening run merges into one ambiguous run (`*a**b*****c**`): the
 *   pairs on one side switch character;
 * - a delimiter between a letter and punctuation or whitespace does not "flank" (`a**(b)**` is
 *   literal): that letter or space is written as a character reference (`&#x61;**(b)**`), which
 *   counts as punctuation for flanking and renders as the same character.
 */

export type EmphasisMark = 'bold' | 'italic' | 'strike';

export type Piece =
  | { kind: 'text'; text: string }
  | { kind: 'delimiter'; pair: number; side: 'open' | 'close'; mark: EmphasisMark };

const runLength: Record<EmphasisMark, number> = { bold: 2, italic: 1, strike: 2 };

/** Each flanking fix turns a letter or space into punctuation, so this many passes settle. */
const maxFlankingPasses = 4;

const whitespace = /\s/u;
const punctuation = /[\p{P}\p{S}]/u;

/** A character that is neither whitespace nor punctuation (nor the edge of the line). */
function isWordish(char: string): boolean {
  return char !== '' && !whitespace.test(char) && !punctuation.test(char);
}

function characterReference(char: string): string {
  return `&#x${char.codePointAt(0)!.toString(16).toUpperCase()};`;
}

export function joinPieces(pieces: Piece[]): string {
  const line = new DelimiterLine(pieces);
  line.alternateNested();
  line.separateTouchingRuns();
  for (let pass = 0; pass < maxFlankingPasses && line.fixFlanking(); pass++);
  return pieces.map((piece) => line.rendered(piece)).join('');
}

class DelimiterLine {
  readonly pieces: Piece[];
  readonly chars = new Map<number, string>();
  readonly openAt = new Map<number, number>();
  readonly closeAt = new Map<number, number>();

  constructor(pieces: Piece[]) {
    this.pieces = pieces;
    pieces.forEach((piece, i) => {
      if (piece.kind !== 'delimiter') return;
      this.chars.set(piece.pair, piece.mark === 'strike' ? '~' : '*');
      (piece.side === 'open' ? this.openAt : this.closeAt).set(piece.pair, i);
    });
  }

  rendered(piece: Piece): string {
    return piece.kind === 'text' ? piece.text : this.chars.get(piece.pair)!.repeat(runLength[piece.mark]);
  }

  /** The index of the nearest piece before (step -1) or after (step 1) that renders something. */
  nearest(index: number, step: 1 | -1): number {
    let i = index + step;
    while (i >= 0 && i < this.pieces.length && this.rendered(this.pieces[i]!) === '') i += step;
    return i;
  }

  charBefore(index: number): string {
    const piece = this.pieces[this.nearest(index, -1)];
    return piece === undefined ? '' : Array.from(this.rendered(piece)).at(-1)!;
  }

  charAfter(index: number): string {
    const piece = this.pieces[this.nearest(index, 1)];
    return piece === undefined ? '' : String.fromCodePoint(this.rendered(piece).codePointAt(0)!);
  }

  /** `_` cannot open or close inside a word; `*` can. */
  fits(pair: number, char: string): boolean {
    if (char === '*') return true;
    return !isWordish(this.charBefore(this.openAt.get(pair)!)) && !isWordish(this.charAfter(this.closeAt.get(pair)!));
  }

  alternateNested(): void {
    const enclosing: number[] = [];
    for (const piece of this.pieces) {
      if (piece.kind !== 'delimiter' || piece.mark === 'strike') continue;
      if (piece.side === 'close') {
        enclosing.pop();
        continue;
      }
      const outer = enclosing.at(-1);
      if (outer !== undefined && this.chars.get(outer) === '*' && this.fits(piece.pair, '_')) {
        this.chars.set(piece.pair, '_');
      }
      enclosing.push(piece.pair);
    }
  }

  separateTouchingRuns(): void {
    this.pieces.forEach((piece, i) => {
      if (piece.kind !== 'delimiter' || piece.side !== 'close' || piece.mark === 'strike') return;
      const char = this.chars.get(piece.pair)!;
      const opening = this.run(i + 1, 1, 'open', char);
      if (opening.length === 0) return;
      const other = char === '*' ? '_' : '*';
      const closing = this.run(i, -1, 'close', char);
      const switched = [opening, closing].find((pairs) => pairs.every((pair) => this.fits(pair, other))) ?? opening;
      for (const pair of switched) {
        // `_` against a letter: the letter becomes a character reference, which `_` may touch.
        if (!this.fits(pair, other)) {
          if (isWordish(this.charBefore(this.openAt.get(pair)!)))
            this.encodeEdge(this.nearest(this.openAt.get(pair)!, -1), 'last');
          if (isWordish(this.charAfter(this.closeAt.get(pair)!)))
            this.encodeEdge(this.nearest(this.closeAt.get(pair)!, 1), 'first');
        }
        this.chars.set(pair, other);
      }
    });
  }

  run(from: number, step: 1 | -1, side: 'open' | 'close', char: string): number[] {
    const pairs: number[] = [];
    for (let j = from; ; j += step) {
      const piece = this.pieces[j];
      if (piece?.kind !== 'delimiter' || piece.side !== side || this.chars.get(piece.pair) !== char) return pairs;
      pairs.push(piece.pair);
    }
  }

  /** Returns whether any character had to be encoded. */
  fixFlanking(): boolean {
    let changed = false;
    for (let i = 0; i < this.pieces.length; i++) {
      const piece = this.pieces[i]!;
      if (piece.kind !== 'delimiter') continue;
      const char = this.chars.get(piece.pair)!;
      let end = i;
      let opens = false;
      let closes = false;
      for (let next = this.pieces[end]; next?.kind === 'delimiter' && this.chars.get(next.pair) === char; ) {
        if (next.side === 'open') opens = true;
        else closes = true;
        next = this.pieces[++end];
      }
      const before = this.charBefore(i);
      const after = this.charAfter(end - 1);
      const mustEncodeAfter =
        (opens && whitespace.test(after)) || (closes && punctuation.test(before) && isWordish(after));
      const mustEncodeBefore =
        (closes && whitespace.test(before)) || (opens && punctuation.test(after) && isWordish(before));
      if (mustEncodeAfter) changed = this.encodeEdge(this.nearest(end - 1, 1), 'first') || changed;
      if (mustEncodeBefore) changed = this.encodeEdge(this.nearest(i, -1), 'last') || changed;
      i = end - 1;
    }
    return changed;
  }

  encodeEdge(index: number, edge: 'first' | 'last'): boolean {
    const piece = this.pieces[index];
    if (piece?.kind !== 'text') return false;
    const chars = Array.from(piece.text);
    const at = edge === 'first' ? 0 : chars.length - 1;
    chars[at] = characterReference(chars[at]!);
    // Text leaves `_` unescaped only between two letters; one of them is no longer a letter.
    const neighbour = edge === 'first' ? 1 : at - 1;
    if (chars[neighbour] === '_' && chars[neighbour - 1] !== '\\') chars[neighbour] = '\\_';
    piece.text = chars.join('');
    return true;
  }
}
