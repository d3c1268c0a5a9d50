/** [S5.7] The rolling lanes' log: windows per position, sole senders, trimming and the size cap. */

import * as decoding from 'lib0/decoding';
import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { LaneLog, LOG_MAX_ENTRIES } from './lane-log.ts';
import { Session } from './session.ts';

const socket = { send: () => undefined, bufferedAmount: 0, close: () => undefined };
const session = (name: string) => new Session(socket, name, 'edit', Number.MAX_SAFE_INTEGER);

/** One keystroke per update from `doc`, as a client sends them. */
function keystrokes(doc: Y.Doc, n: number): Uint8Array[] {
  const out: Uint8Array[] = [];
  const t = doc.getText('t');
  for (let i = 0; i < n; i++) {
    const sv = Y.encodeStateVector(doc);
    t.insert(t.length, 'x');
    out.push(Y.encodeStateAsUpdate(doc, sv));
  }
  return out;
}

/** The text a fresh document holds after applying a window's frame. */
function textOf(frame: Uint8Array): string {
  const d = decoding.createDecoder(frame);
  decoding.readVarUint(d); // SYNC
  decoding.readVarUint(d); // UPDATE
  const doc = new Y.Doc();
  Y.applyUpdate(doc, decoding.readVarUint8Array(d));
  return doc.getText('t').toString();
}

describe('[S5.7] LaneLog', () => {
  const source = new Y.Doc();
  const svBefore = () => Y.encodeStateVector(new Y.Doc());

  it('gives each position one merged window to the head, shared by every session at that position; a lone sender is named', () => {
    const log = new LaneLog(svBefore);
    const [a, b, c] = [session('a'), session('b'), session('c')];
    log.join(a);
    log.join(b);
    const updates = keystrokes(new Y.Doc(), 3);
    log.add(updates[0]!, 1, a);
    log.join(c); // joined after the first: starts at the head
    log.add(updates[1]!, 2, a);
    expect(log.cursor(c)!.update).toBe(1);
    const w0 = log.window(0);
    expect(log.window(0)).toBe(w0);
    expect(w0.sender).toBe(a);
    expect(w0.at).toBe(1);
    log.add(updates[2]!, 3, b);
    const w = log.window(0);
    expect(w).not.toBe(w0);
    expect(w.sender).toBeNull();
    expect(textOf(w.frame)).toBe('xxx');
    expect(log.window(1).at).toBe(2);
    expect(log.owes(c)).toBe(true);
    log.cursor(c)!.update = log.head;
    expect(log.owes(c)).toBe(false);
  });

  it('keeps at most LOG_MAX_ENTRIES updates: a lagging position gets the oldest merged with the rest, nothing lost', () => {
    const log = new LaneLog(svBefore);
    const lagging = session('lagging');
    log.join(lagging);
    const doc = new Y.Doc();
    for (const u of keystrokes(doc, LOG_MAX_ENTRIES + 100)) log.add(u, 1, null);
    expect(log.size).toBeLessThanOrEqual(LOG_MAX_ENTRIES);
    expect(textOf(log.window(0).frame)).toBe('x'.repeat(LOG_MAX_ENTRIES + 100));
    // A position inside the merged entry gets all of it (the part it holds is ignored by Yjs).
    expect(textOf(log.window(10).frame).length).toBeGreaterThanOrEqual(LOG_MAX_ENTRIES + 90);
  });

  it('trims what every session has been written (once it holds enough to be worth a scan)', () => {
    const log = new LaneLog(svBefore);
    const [a, b] = [session('a'), session('b')];
    log.join(a);
    log.join(b);
    for (const u of keystrokes(source, 200)) log.add(u, 1, null);
    log.cursor(a)!.update = 200;
    log.cursor(b)!.update = 40;
    log.trim();
    expect(log.size).toBe(160);
    log.forget(b);
    log.trim();
    expect(log.size).toBe(0);
  });
});
