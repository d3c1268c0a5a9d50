/** PersistQueue on a fake clock: the batch window and the retry backoff pass when the test says so. */
import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { FakeClock } from '../../test/support/fake-clock.ts';
import { nextTurn, waitFor } from '../../test/support/wait.ts';
import { type AckTarget, PersistQueue } from './persist-queue.ts';

function updateOf(text: string, clientID: number): Uint8Array {
  const doc = new Y.Doc();
  doc.clientID = clientID;
  doc.getText('t').insert(0, text);
  return Y.encodeStateAsUpdate(doc);
}

class Target implements AckTarget {
  acks: number[] = [];
  acknowledge(count: number): void {
    this.acks.push(count);
  }
}

/** An append that commits only when the test says so. */
function manualLog() {
  const rows: Uint8Array[] = [];
  const waiting: Array<{ update: Uint8Array; resolve: () => void; reject: (e: Error) => void }> = [];
  return {
    rows,
    waiting,
    append: (update: Uint8Array) =>
      new Promise<void>((resolve, reject) =>
        waiting.push({
          update,
          resolve: () => {
            rows.push(update);
            resolve();
          },
          reject,
        }),
      ),
    async commitNext() {
      await waitFor('a write', () => waiting.length > 0);
      waiting.shift()!.resolve();
      await nextTurn();
    },
    async failNext() {
      await waitFor('a write', () => waiting.length > 0);
      waiting.shift()!.reject(new Error('database down'));
      await nextTurn();
    },
  };
}

describe('PersistQueue (group commit)', () => {
  it('[S3.1] merges updates accepted within the window into one row and acknowledges after commit', async () => {
    const log = manualLog();
    const clock = new FakeClock();
    const q = new PersistQueue({ batchMs: 5, clock, append: log.append });
    const a = new Target();
    const b = new Target();
    q.add(updateOf('a', 1), a, 1);
    await clock.advance(4);
    q.add(updateOf('b', 2), b, 1);
    q.add(updateOf('c', 3), a, 2);
    expect(log.waiting).toHaveLength(0);
    await clock.advance(1);
    expect(a.acks).toEqual([]);
    await log.commitNext();
    expect(log.rows).toHaveLength(1);
    const doc = new Y.Doc();
    Y.applyUpdate(doc, log.rows[0]!);
    expect(doc.getText('t').toString()).toHaveLength(3);
    expect(a.acks).toEqual([2]);
    expect(b.acks).toEqual([1]);
  });

  it('[S3.2] never acknowledges before the write holding the update commits, even while another is in flight', async () => {
    const log = manualLog();
    const clock = new FakeClock();
    const q = new PersistQueue({ batchMs: 1, clock, append: log.append });
    const a = new Target();
    q.add(updateOf('x', 1), a, 1);
    await clock.advance(1);
    expect(log.waiting).toHaveLength(1);
    q.add(updateOf('y', 2), a, 2);
    await log.commitNext();
    expect(a.acks).toEqual([1]);
    await log.commitNext();
    expect(a.acks).toEqual([1, 2]);
    expect(log.rows).toHaveLength(2);
  });

  it('[S3.3] a barrier (nothing to write) is acknowledged after what was queued before it', async () => {
    const log = manualLog();
    const clock = new FakeClock();
    const q = new PersistQueue({ batchMs: 1, clock, append: log.append });
    const a = new Target();
    const b = new Target();
    q.barrier(b, 1);
    expect(b.acks).toEqual([1]); // idle queue: nothing to wait for
    q.add(updateOf('x', 1), a, 1);
    q.barrier(b, 2);
    expect(b.acks).toEqual([1]);
    await clock.advance(1);
    await log.commitNext();
    expect(b.acks).toEqual([1, 2]);
  });

  it('[S3.4] keeps a failed batch and its acknowledgements and retries it', async () => {
    const log = manualLog();
    const errors: number[] = [];
    const clock = new FakeClock();
    const q = new PersistQueue({
      batchMs: 1,
      clock,
      append: log.append,
      onError: (_e, attempt) => errors.push(attempt),
    });
    const a = new Target();
    q.add(updateOf('x', 1), a, 1);
    await clock.advance(1);
    await log.failNext();
    expect(a.acks).toEqual([]);
    q.add(updateOf('y', 2), a, 2);
    // Backoff: the retry (carrying both updates) waits 50 ms after the first failure.
    await clock.advance(49);
    expect(log.waiting).toHaveLength(0);
    await clock.advance(1);
    await log.commitNext();
    expect(errors).toEqual([1]);
    expect(a.acks).toEqual([2]);
    const doc = new Y.Doc();
    for (const r of log.rows) Y.applyUpdate(doc, r);
    expect(doc.getText('t').length).toBe(2);
  });

  it('[S3.5] drain writes at once and resolves when everything is durable', async () => {
    const rows: Uint8Array[] = [];
    const q = new PersistQueue({ batchMs: 60_000, clock: new FakeClock(), append: async (u) => void rows.push(u) });
    const a = new Target();
    q.add(updateOf('x', 1), a, 1);
    await q.drain();
    expect(rows).toHaveLength(1);
    expect(a.acks).toEqual([1]);
    expect(q.idle).toBe(true);
  });
});
