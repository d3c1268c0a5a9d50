/**
 * Keeps the save indicator steady while typing: every keystroke is saved and acknowledged within
 * milliseconds, so the raw status flips "Saving…" → "Saved" → "Saving…" many times a second.
 * Once shown, "Saving…" stays for at least MIN_SAVING_MS, and gives way to "Saved" only once the
 * raw status has said "Saved" for SETTLE_MS without a new change: a burst of typing shows
 * "Saving…" once and "Saved" once. Anything else (offline, reconnecting) shows at once. Pure: the
 * caller passes the clock and schedules the re-check.
 */

export const MIN_SAVING_MS = 800;
export const SETTLE_MS = 300;
export const SAVING_TEXT = 'Saving…';
export const SAVED_TEXT = 'Saved';

/** What is shown since when, and the latest raw text since when. */
export type HeldStatus = { text: string; since: number; raw: string; rawSince: number };

/** What to show now for the raw status text, and when to look again if the change was held back. */
export function holdStatus(
  held: HeldStatus | null,
  raw: string,
  now: number,
): { shown: HeldStatus; recheckInMs?: number } {
  if (held === null) return { shown: { text: raw, since: now, raw, rawSince: now } };
  const rawSince = raw === held.raw ? held.rawSince : now;
  if (raw === held.text) return { shown: raw === held.raw ? held : { ...held, raw, rawSince } };
  if (held.text === SAVING_TEXT && raw === SAVED_TEXT) {
    const readyAt = Math.max(held.since + MIN_SAVING_MS, rawSince + SETTLE_MS);
    if (now < readyAt) return { shown: { ...held, raw, rawSince }, recheckInMs: readyAt - now };
  }
  return { shown: { text: raw, since: now, raw, rawSince } };
}
