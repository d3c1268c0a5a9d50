/**
 * Text PostgreSQL will store: `text` refuses U+0000 and `jsonb` refuses both U+0000 and unpaired
 * UTF-16 surrogates (which JSON.stringify writes as `\udXXX` escapes), so a single such
 * character typed into a document would fail every write of its projections. Each one becomes
 * U+FFFD, the replacement character, as a UTF-8 decoder would show it (docs/spec/sync.md [S4.2]).
 */

// biome-ignore lint/suspicious/noControlCharactersInRegex: NUL is exactly what PostgreSQL refuses
const NUL = /\u0000/g;
const REPLACEMENT = '\uFFFD';

/** The string with NULs and lone surrogates replaced; the same string when there were none. */
export function storableText(text: string): string {
  const wellFormed = text.isWellFormed() ? text : text.toWellFormed();
  return wellFormed.includes('\u0000') ? wellFormed.replace(NUL, REPLACEMENT) : wellFormed;
}

/**
 * A JSON value whose strings and keys are all storable. Copies only what changes: parts of the
 * value may be shared with a live Y.Doc (node attributes), so nothing is modified in place.
 */
export function storableJson<T>(value: T): T {
  return storable(value) as T;
}

function storable(value: unknown): unknown {
  if (typeof value === 'string') return storableText(value);
  if (value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) {
    let copy: unknown[] | undefined;
    value.forEach((item, i) => {
      const clean = storable(item);
      if (clean !== item) {
        copy ??= value.slice();
        copy[i] = clean;
      }
    });
    return copy ?? value;
  }
  let copy: Record<string, unknown> | undefined;
  const entries = Object.entries(value as Record<string, unknown>);
  for (const [key, item] of entries) {
    const cleanKey = storableText(key);
    const clean = storable(item);
    if (clean !== item || cleanKey !== key) {
      copy ??= Object.fromEntries(entries.map(([k, v]) => [storableText(k), v]));
      copy[cleanKey] = clean;
    }
  }
  return copy ?? value;
}
