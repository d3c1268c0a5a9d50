/**
 * The worker-thread entry of the CRDT pool (crdt-pool.ts): rebuilds a stored document — its
 * compacted state plus the log rows since — off the main thread, so integration whose cost an
 * untrusted client chose can be timed and, past its budget, killed with the thread. It returns
 * the merged state (what a room then applies in one go), the projections when asked, and two
 * timings: `integrateMs` (this rebuild) and `applyMs`, what applying the merged state costs a
 * fresh Y.Doc, which is what the main thread would pay to load it. `repair` re-creates the
 * content as a fresh Y.Doc from its projection, dropping the CRDT history that made it expensive.
 * Failures come back as data (an Error crossing threads loses its class).
 */

import { constants, setPriority } from 'node:os';
import { Piscina, transferableSymbol, valueSymbol } from 'piscina';
import * as Y from 'yjs';
import { type CommentAnchorMark, markCommentRanges } from './comment-ranges.ts';
import { type CrdtLimits, inspectUpdate } from './crdt-inspect.ts';
import { documentFromProsemirror } from './from-prosemirror.ts';
import { type HistoryTask, runHistoryTask } from './history-task.ts';
import { type ImportTask, runImportTask } from './import/import-task.ts';
import { projectDocument } from './projection.ts';
import { rebuildDocument, StoredStateError } from './stored-document.ts';

/** An update's own cost, counted off the main thread before the main thread decodes it [S11.1]. */
/**
 * This thread runs below the event loop's priority: on Linux a thread is a task with its own nice
 * value, and setPriority(0, …) sets the calling thread's. On a 2-core machine a rebuild then takes
 * the CPU the event loop leaves, instead of half of it. (Elsewhere it may apply to the process or
 * fail; failing is harmless.)
 */
try {
  setPriority(0, constants.priority.PRIORITY_BELOW_NORMAL);
} catch {
  // not permitted or not supported: run at normal priority
}

export type InspectTask = { kind: 'inspect'; update: Uint8Array; limits: CrdtLimits };
export type InspectOutcome = { ok: true } | { ok: false; reason: string; malformed: boolean };

export type CrdtTask = {
  kind: 'rebuild' | 'repair';
  state: Uint8Array | null;
  updates: Uint8Array[];
  /** Also return the ProseMirror JSON and plain text. */
  project: boolean;
  /** Measure `applyMs` only when the rebuild itself took longer than this (cheap documents skip it). */
  measureApplyAboveMs: number;
  /**
   * Comment anchors marked on their text before projecting (`comment` marks, comment-ranges.ts).
   * The marks are formatting written into this rebuild's Y.Doc, so the returned `state` carries
   * them too: only for callers that discard it (the export).
   */
  commentAnchors?: CommentAnchorMark[];
};

export type CrdtOutcome =
  | {
      ok: true;
      state: Uint8Array;
      skipped: number;
      structs: number;
      clients: number;
      integrateMs: number;
      applyMs: number;
      content?: unknown;
      text?: string;
      /** Set when the projection failed: content is null and text empty, the state is still good [S4.2]. */
      projectionError?: string;
      /** Repair only: the state vector of the history it replaced (those client ids are retired). */
      retiredVector?: Uint8Array;
    }
  | { ok: false; message: string; unreadable: boolean };

function countStructs(doc: Y.Doc): { structs: number; clients: number } {
  let structs = 0;
  for (const list of doc.store.clients.values()) structs += list.length;
  return { structs, clients: doc.store.clients.size };
}

/**
 * Milliseconds of this thread's CPU since `since`: what the work cost, not how long a busy
 * machine made it wait (a descheduled thread must not get a document quarantined).
 */
export function threadCpuMs(since: NodeJS.CpuUsage): number {
  const used = process.threadCpuUsage(since);
  return (used.user + used.system) / 1000;
}

function applyOnce(state: Uint8Array): number {
  const started = process.threadCpuUsage();
  const doc = new Y.Doc({ gc: true });
  Y.applyUpdate(doc, state);
  const ms = threadCpuMs(started);
  doc.destroy();
  return ms;
}

/**
 * What applying `state` to a fresh Y.Doc costs. A first run over `budgetMs` is measured again and
 * the lower kept: a worker's first documents run before the JIT has warmed up (measured 2-3x
 * slower), and the question is what a warm main thread would pay.
 */
function timedApply(state: Uint8Array, budgetMs: number): number {
  const first = applyOnce(state);
  return first > budgetMs ? Math.min(first, applyOnce(state)) : first;
}

function inspect(task: InspectTask): InspectOutcome {
  try {
    // Against an empty document: only the update's own cost (the walk through the document's
    // items needs the document, and runs on the main thread once this says yes).
    const v = inspectUpdate(new Y.Doc(), task.update, task.limits);
    return v.ok || v.action !== 'refuse' ? { ok: true } : { ok: false, reason: v.reason, malformed: false };
  } catch {
    return { ok: false, reason: 'malformed Yjs update', malformed: true };
  }
}

export default function run(task: CrdtTask | InspectTask | HistoryTask | ImportTask): unknown {
  if (task.kind === 'inspect') return inspect(task);
  if (task.kind === 'import') return runImportTask(task);
  if (task.kind === 'revert' || task.kind === 'compare') return runHistoryTask(task);
  const started = process.threadCpuUsage();
  let rebuilt: ReturnType<typeof rebuildDocument> | undefined;
  let fresh: Y.Doc | undefined;
  try {
    rebuilt = rebuildDocument(task.state, task.updates);
    let doc = rebuilt.doc;
    const integrateMs = threadCpuMs(started);
    let projection: { content: unknown; text: string } | undefined;
    let projectionError: string | undefined;
    if (task.project || task.kind === 'repair') {
      if (task.kind === 'rebuild' && task.commentAnchors?.length) markCommentRanges(doc, task.commentAnchors);
      try {
        projection = projectDocument(doc);
      } catch (err) {
        // [S4.2] A document the projection cannot read is still compacted; its projections stay empty.
        if (task.kind === 'repair') throw err;
        projectionError = err instanceof Error ? err.message : String(err);
        projection = { content: null, text: '' };
      }
    }
    const retiredVector = task.kind === 'repair' ? Y.encodeStateVector(doc) : undefined;
    if (task.kind === 'repair') {
      fresh = documentFromProsemirror(projection!.content as Parameters<typeof documentFromProsemirror>[0]);
      doc = fresh;
    }
    const state = Y.encodeStateAsUpdate(doc);
    const applyMs =
      task.kind === 'repair' || integrateMs > task.measureApplyAboveMs
        ? timedApply(state, task.measureApplyAboveMs * 4)
        : integrateMs;
    const outcome: CrdtOutcome = {
      ok: true,
      state,
      skipped: rebuilt.skipped,
      ...countStructs(doc),
      integrateMs,
      applyMs,
      ...(projection && { content: projection.content, text: projection.text }),
      ...(projectionError && { projectionError }),
      ...(retiredVector && { retiredVector }),
    };
    return Piscina.move({ [transferableSymbol]: [state.buffer], [valueSymbol]: outcome });
  } catch (err) {
    const outcome: CrdtOutcome = {
      ok: false,
      message: err instanceof Error ? err.message : String(err),
      unreadable: err instanceof StoredStateError,
    };
    return outcome;
  } finally {
    rebuilt?.doc.destroy();
    fresh?.destroy();
  }
}
