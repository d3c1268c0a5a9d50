/**
 * A person's caret and presence colour, derived from their user id so every client (and every
 * tab) paints the same person the same way without asking anyone.
 */

/** Lightness and saturation keep white (bold) label text above 3.5:1 contrast on every hue. */
const SATURATION = 0.6;
const LIGHTNESS = 0.34;

/** FNV-1a over UTF-16 code units: stable, cheap, and well spread for uuids. */
function hash(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

function hslToHex(hueDegrees: number, s: number, l: number): string {
  const a = s * Math.min(l, 1 - l);
  const channel = (n: number) => {
    const k = (n + hueDegrees / 30) % 12;
    const value = l - a * Math.max(-1, Math.min(k - 3, 9 - k, 1));
    return Math.round(value * 255)
      .toString(16)
      .padStart(2, '0');
  };
  return `#${channel(0)}${channel(8)}${channel(4)}`;
}

/** `#rrggbb` (the only form TipTap's caret extension accepts) for a user id. */
export function colorForUserId(userId: string): string {
  return hslToHex(hash(userId) % 360, SATURATION, LIGHTNESS);
}

/** True for the `#rrggbb` colours we hand out; anything else from the wire is replaced. */
export function isHexColor(value: unknown): value is string {
  return typeof value === 'string' && /^#[0-9a-fA-F]{6}$/.test(value);
}
