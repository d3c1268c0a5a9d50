/**
 * The offline comment queue [C5]: entries go out in order once flushed, each with the
 * Idempotency-Key it got when written (a resend after a lost answer is answered once, by key),
 * replies to a queued thread follow it under its real id, a refusal holds its replies back until
 * discarded, and the queue survives a reload through storage. The fake server below keeps
 * answers by key as the real one does (src/app/idempotency.ts).
 */
import { describe, expect, it } from 'vitest';
import type { CommentThread } from '../api-types.ts';
import { CommentOutbox, type OutboxSender, type PendingReply, type PendingThread } from './comment-outbox.ts';

const anchor = { start: 'AAE=', end: 'AAI=' };

class MemoryStorage {
  readonly items = new Map<string, string>();
  getItem = (k: string) => this.items.get(k) ?? null;
  setItem = (k: string, v: string) => void this.items.set(k, v);
  removeItem = (k: string) => void this.items.delete(k);
}

/** Threads by id; answers stored by Idempotency-Key; `down` makes every call fail as fetch does offline. */
class FakeServer implements OutboxSender {
  down = false;
  /** The next call is carried out but its answer is lost on the way back. */
  loseNextAnswer = false;
  refuse: string | null = null;
  readonly threads = new Map<string, CommentThread>();
  readonly answers = new Map<string, CommentThread>();
  readonly calls: string[] = [];

  private handle(key: string, run: () => CommentThread): Promise<CommentThread> {
    this.calls.push(key);
    if (this.down) return Promise.reject(Object.assign(new Error('offline'), { status: 0 }));
    if (this.refuse) return Promise.reject(Object.assign(new Error(this.refuse), { status: 400 }));
    const answer = this.answers.get(key) ?? run();
    this.answers.set(key, answer);
    if (this.loseNextAnswer) {
      this.loseNextAnswer = false;
      return Promise.reject(Object.assign(new Error('connection reset'), { status: 0 }));
    }
    return Promise.resolve(structuredClone(answer));
  }

  create(e: PendingThread) {
    return this.handle(e.key, () => {
      const id = `thread-${this.threads.size + 1}`;
      const thread = { id, quote: e.quote, comments: [{ id: `${id}-c1`, body: e.body }] } as unknown as CommentThread;
      this.threads.set(id, thread);
      return thread;
    });
  }

  reply(threadId: string, e: PendingReply) {
    return this.handle(e.key, () => {
      const thread = this.threads.get(threadId);
      if (!thread) throw Object.assign(new Error('thread not found'), { status: 404 });
      thread.comments.push({ id: `${threadId}-c${thread.comments.length + 1}`, body: e.body } as never);
      return thread;
    });
  }
}

function setup(storage = new MemoryStorage(), server = new FakeServer()) {
  const sent: CommentThread[] = [];
  const outbox = new CommentOutbox({ sender: server, storageKey: 'k', storage, onSent: (t) => sent.push(t) });
  return { outbox, server, storage, sent };
}

describe('the offline comment queue [C5]', () => {
  it('[C5] sends queued threads and replies in order; a reply to a queued thread goes to its real id', async () => {
    const { outbox, server, sent } = setup();
    server.down = true;
    const first = outbox.addThread(anchor, 'quote', 'First', []);
    outbox.addReply(first.localId, 'Reply to the queued thread', []);
    outbox.addThread(anchor, 'quote', 'Second', []);
    await outbox.flush();
    expect(outbox.pending).toHaveLength(3);
    server.down = false;
    await outbox.flush();
    expect(outbox.pending).toEqual([]);
    expect([...server.threads.values()].map((t) => t.comments.map((c) => c.body))).toEqual([
      ['First', 'Reply to the queued thread'],
      ['Second'],
    ]);
    expect(sent.map((t) => t.id)).toEqual(['thread-1', 'thread-1', 'thread-2']);
  });

  it('[C5] a resend after a lost answer uses the same Idempotency-Key: the thread exists once', async () => {
    const { outbox, server } = setup();
    const entry = outbox.addThread(anchor, 'q', 'Only once', []);
    server.loseNextAnswer = true;
    await outbox.flush();
    expect(outbox.pending).toHaveLength(1);
    await outbox.flush();
    expect(outbox.pending).toEqual([]);
    expect(server.calls).toEqual([entry.key, entry.key]);
    expect(server.threads.size).toBe(1);
  });

  it('[C5] a refused thread is marked not sent with the reason and holds its replies back until discarded', async () => {
    const { outbox, server } = setup();
    const thread = outbox.addThread(anchor, 'q', 'Refused', []);
    outbox.addReply(thread.localId, 'Held back', []);
    server.refuse = 'anchor: points at text that was deleted';
    await outbox.flush();
    expect(outbox.pending.map((e) => e.failed)).toEqual(['anchor: points at text that was deleted', undefined]);
    server.refuse = null;
    await outbox.flush();
    expect(server.threads.size).toBe(0);
    outbox.discard(thread.localId);
    expect(outbox.pending).toEqual([]);
  });

  it('[C5] the queue survives a reload (storage), keys included, and sends from there', async () => {
    const storage = new MemoryStorage();
    const first = setup(storage);
    first.server.down = true;
    const entry = first.outbox.addThread(anchor, 'q', 'Written before the reload', ['u1']);
    await first.outbox.flush();
    const again = setup(storage);
    expect(again.outbox.pending).toEqual([entry]);
    await again.outbox.flush();
    expect(again.server.calls).toEqual([entry.key]);
    expect(storage.items.size).toBe(0);
  });

  it('[C5] junk in storage is ignored, and one flush runs at a time', async () => {
    const storage = new MemoryStorage();
    storage.setItem('k', JSON.stringify([{ kind: 'thread', key: 1 }, 'x', null]));
    const { outbox, server } = setup(storage);
    expect(outbox.pending).toEqual([]);
    outbox.addThread(anchor, 'q', 'One', []);
    await Promise.all([outbox.flush(), outbox.flush()]);
    expect(server.calls).toHaveLength(1);
  });
});
