/**
 * A stand-in worker module for the pool tests, chosen by the task's title: one that spins the
 * CPU (as a huge render does), one that crashes its thread, one that exits it, one that answers.
 */
import { threadId } from 'node:worker_threads';

const SPIN_LIMIT_MS = 20_000;

export default async function misbehave(task: { title: string }): Promise<unknown> {
  switch (task.title) {
    case 'spin': {
      // Never looks at the event loop: only terminating the thread stops it (bounded, in case that fails).
      const until = Date.now() + SPIN_LIMIT_MS;
      while (Date.now() < until) {
        // busy
      }
      return { ok: false, message: 'spin was not stopped', retryable: false, threadId, renderMs: SPIN_LIMIT_MS };
    }
    case 'crash':
      setImmediate(() => {
        throw new Error('worker blew up');
      });
      return new Promise(() => undefined);
    case 'exit':
      process.exit(3);
      return undefined;
    default:
      return { ok: true, bytes: new Uint8Array([1, 2, 3]), contentType: 'x/y', extension: 'x', threadId, renderMs: 0 };
  }
}
