/** Human-friendly dates for lists: "just now", "5 minutes ago", "yesterday", then a short date. */

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

export function relativeTime(iso: string, now: number = Date.now()): string {
  const then = Date.parse(iso);
  if (Number.isNaN(then)) return '';
  const ago = now - then;
  // Clocks disagree a little; a timestamp slightly in the future is "just now".
  if (ago < MINUTE) return 'just now';
  if (ago < HOUR) {
    const m = Math.floor(ago / MINUTE);
    return m === 1 ? '1 minute ago' : `${m} minutes ago`;
  }
  if (ago < DAY) {
    const h = Math.floor(ago / HOUR);
    return h === 1 ? '1 hour ago' : `${h} hours ago`;
  }
  if (ago < 2 * DAY) return 'yesterday';
  if (ago < 7 * DAY) return `${Math.floor(ago / DAY)} days ago`;
  const date = new Date(then);
  const sameYear = date.getFullYear() === new Date(now).getFullYear();
  return date.toLocaleDateString(undefined, {
    month: 'short',
    day: 'numeric',
    ...(sameYear ? {} : { year: 'numeric' }),
  });
}

/** The full timestamp, for a `title` tooltip next to a relative time. */
export function fullTime(iso: string): string {
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? '' : d.toLocaleString();
}
