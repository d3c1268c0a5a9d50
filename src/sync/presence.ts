/**
 * Presence is the server's word about who someone is [S2.7]: every awareness state a client sends
 * is re-encoded with `user.id` and `user.name` set to the authenticated user's, and states larger
 * than the cap are refused [S7.5].
 *
 * Stamping, not rejecting: a state whose `user` lies (or that has none, as with a stock
 * y-websocket client) is corrected instead of closing the socket, so a client whose display name
 * changed mid-session, or one that never sets `user`, keeps working, and nobody can show a caret
 * under another person's name. Fields the server does not vouch for (`user.color`, the cursor,
 * anything else) pass through untouched: the web editor's carets read `user.name` and
 * `user.color`, its presence list `user.id`, `user.name` and `user.color` (web/src/editor/presence.ts).
 *
 * The awareness wire format is y-protocols' (varuint count, then per state: client id, clock,
 * JSON as a var-string); it is decoded here rather than through an Awareness instance so a
 * state's size is checked before its JSON is parsed.
 */
import * as decoding from 'lib0/decoding';
import * as encoding from 'lib0/encoding';

export type PresenceIdentity = { userId: string; name: string };

export type StampedPresence =
  | { ok: true; update: Uint8Array; clientIds: number[]; stamped: number }
  | { ok: false; reason: 'malformed' | 'too_large'; message: string };

const textDecoder = new TextDecoder('utf-8', { fatal: true });
const textEncoder = new TextEncoder();

/**
 * The update with every non-null state stamped with `who`, or why it is refused: a malformed
 * update or a state that is not a JSON object (`malformed`), or one whose JSON is longer than
 * `maxStateBytes` (`too_large`, checked before parsing, and again after stamping).
 */
export function stampPresence(update: Uint8Array, who: PresenceIdentity, maxStateBytes: number): StampedPresence {
  const entries: { clientId: number; clock: number; json: Uint8Array }[] = [];
  try {
    const d = decoding.createDecoder(update);
    const n = decoding.readVarUint(d);
    for (let i = 0; i < n; i++) {
      const clientId = decoding.readVarUint(d);
      const clock = decoding.readVarUint(d);
      const json = decoding.readVarUint8Array(d);
      if (json.byteLength > maxStateBytes) return tooLarge(json.byteLength, maxStateBytes);
      entries.push({ clientId, clock, json });
    }
  } catch {
    return { ok: false, reason: 'malformed', message: 'malformed awareness update' };
  }
  const e = encoding.createEncoder();
  encoding.writeVarUint(e, entries.length);
  let stamped = 0;
  for (const { clientId, clock, json } of entries) {
    let state: unknown;
    try {
      state = JSON.parse(textDecoder.decode(json));
    } catch {
      return { ok: false, reason: 'malformed', message: 'awareness state is not JSON' };
    }
    let out = json;
    if (state !== null) {
      if (typeof state !== 'object' || Array.isArray(state)) {
        return { ok: false, reason: 'malformed', message: 'awareness state is not an object' };
      }
      const record = state as Record<string, unknown>;
      const user = record.user;
      const claimed = user !== null && typeof user === 'object' && !Array.isArray(user) ? user : {};
      record.user = { ...claimed, id: who.userId, name: who.name };
      out = textEncoder.encode(JSON.stringify(record));
      if (out.byteLength > maxStateBytes) return tooLarge(out.byteLength, maxStateBytes);
      stamped++;
    }
    encoding.writeVarUint(e, clientId);
    encoding.writeVarUint(e, clock);
    encoding.writeVarUint8Array(e, out);
  }
  return { ok: true, update: encoding.toUint8Array(e), clientIds: entries.map((x) => x.clientId), stamped };
}

function tooLarge(bytes: number, max: number): StampedPresence {
  return { ok: false, reason: 'too_large', message: `presence state of ${bytes} bytes is over the ${max}-byte limit` };
}
