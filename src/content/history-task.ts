/**
 * Version-history work for the CRDT pool's threads (crdt-worker.ts dispatches here): computing
 * a restore's change and comparing two versions both integrate whole document states, which can
 * cost tens of milliseconds on a large document and is untrusted-cost work [S11.2].
 */
import * as Y from 'yjs';
import { type Comparison, compareStates } from './version-compare.ts';
import { revertUpdate } from './version-revert.ts';

export type HistoryTask =
  | { kind: 'revert'; current: Uint8Array; target: Uint8Array }
  | { kind: 'compare'; older: Uint8Array | null; newer: Uint8Array };

export type HistoryOutcome =
  | { ok: true; kind: 'revert'; update: Uint8Array | null; after: Uint8Array }
  | { ok: true; kind: 'compare'; comparison: Comparison }
  | { ok: false; message: string };

export function runHistoryTask(task: HistoryTask): HistoryOutcome {
  try {
    if (task.kind === 'revert') {
      const update = revertUpdate(task.current, task.target);
      // The document's state once the change is in: what the restore entry of the history holds.
      const after = update ? Y.mergeUpdates([task.current, update]) : task.current;
      return { ok: true, kind: 'revert', update, after };
    }
    return { ok: true, kind: 'compare', comparison: compareStates(task.older, task.newer) };
  } catch (err) {
    return { ok: false, message: err instanceof Error ? err.message : String(err) };
  }
}
