/** What the find bar says about the matches: "3 of 12", "12 matches", "No results". */

export type MatchCount = { total: number /** 1-based; 0 when no match is selected. */; current: number };

/** The match the selection is on, among matches sorted by position. */
export function countMatches(
  matches: readonly { from: number; to: number }[],
  selection: { from: number; to: number },
): MatchCount {
  const index = matches.findIndex((m) => m.from === selection.from && m.to === selection.to);
  return { total: matches.length, current: index + 1 };
}

export function matchCountText(query: string, count: MatchCount): string {
  if (query === '') return '';
  if (count.total === 0) return 'No results';
  if (count.current === 0) return count.total === 1 ? '1 match' : `${count.total} matches`;
  return `${count.current} of ${count.total}`;
}
