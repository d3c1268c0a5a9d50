/** @mention text rules, pure (unit-tested): the query being typed at the caret, and which chosen people the text still names. */

/** The `@word` being typed just before the caret (letters, digits, dots, dashes), or null. */
export function mentionQueryAt(text: string, caret: number): { start: number; query: string } | null {
  const before = text.slice(0, caret);
  const m = /(^|\s)@([\p{L}\p{N}._-]{0,40})$/u.exec(before);
  if (!m) return null;
  return { start: caret - (m[2] as string).length - 1, query: m[2] as string };
}

/** Replaces the typed `@query` with `@Display Name ` and says where the caret goes. */
export function insertMention(
  text: string,
  at: { start: number; query: string },
  displayName: string,
): { text: string; caret: number } {
  const inserted = `@${displayName} `;
  const end = at.start + 1 + at.query.length;
  return { text: text.slice(0, at.start) + inserted + text.slice(end), caret: at.start + inserted.length };
}

/** The user ids of chosen people whose `@Name` is still in the text (deleted mentions are not sent). */
export function mentionedIn(text: string, chosen: Map<string, string>): string[] {
  const ids = new Set<string>();
  for (const [userId, name] of chosen) if (text.includes(`@${name}`)) ids.add(userId);
  return [...ids];
}
