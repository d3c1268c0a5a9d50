/**
 * A person's initials for avatars: the first letters of their first and last names ("Alice Martin"
 * → "AM", "alice" → "A"), by code point so an emoji or accented letter stays whole. One function
 * for the header, member and share lists and the editor's presence chips, so they all agree.
 */
export function initials(name: string): string {
  const parts = name.trim().split(/\s+/).filter(Boolean);
  const letters = parts.length > 1 ? [parts[0] as string, parts[parts.length - 1] as string] : parts;
  return letters.map((p) => [...p][0]?.toUpperCase() ?? '').join('') || '?';
}
