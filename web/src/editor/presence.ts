/**
 * Who is here, from awareness states: one entry per person however many tabs they have open,
 * with what other clients sent treated as untrusted input (names trimmed, colours checked).
 */
import { colorForUserId, isHexColor } from './user-color.ts';

/** What this app puts in its awareness state under `user` (the caret extension reads name/color). */
export type PresenceUser = { id: string; name: string; color: string };

export type Person = PresenceUser & { self: boolean; tabs: number };

const MAX_NAME_LENGTH = 100;

/** A well-formed `user` field from an awareness state, or null for anything else. */
export function presenceUserOf(state: unknown): PresenceUser | null {
  const user = (state as { user?: unknown } | null | undefined)?.user as Partial<Record<string, unknown>> | undefined;
  if (!user || typeof user !== 'object') return null;
  const { id, name, color } = user;
  if (typeof id !== 'string' || id === '' || typeof name !== 'string') return null;
  const trimmed = name.trim().slice(0, MAX_NAME_LENGTH);
  if (trimmed === '') return null;
  return { id, name: trimmed, color: isHexColor(color) ? color : colorForUserId(id) };
}

/**
 * People in the awareness states: you first, then everyone else by name. `selfUserId` marks your
 * own entry (your other tabs fold into it).
 */
export function peopleHere(states: ReadonlyMap<number, unknown>, selfUserId: string): Person[] {
  const byId = new Map<string, Person>();
  for (const state of states.values()) {
    const user = presenceUserOf(state);
    if (!user) continue;
    const seen = byId.get(user.id);
    if (seen) seen.tabs++;
    else byId.set(user.id, { ...user, self: user.id === selfUserId, tabs: 1 });
  }
  return [...byId.values()].sort(
    (a, b) => Number(b.self) - Number(a.self) || a.name.localeCompare(b.name) || a.id.localeCompare(b.id),
  );
}

/** A cheap identity for a presence list, so unchanged lists (cursor moves) do not re-render. */
export function peopleKey(people: readonly Person[]): string {
  return people.map((p) => `${p.id}\u0000${p.name}\u0000${p.color}\u0000${p.tabs}`).join('\u0001');
}
