/** Who connects where in each typing workload (the order is the connect order). */
import type { SocketPlan } from './typing.ts';

/** E editors typing into one document while V viewers watch, one instance. */
export function oneDocumentPlan(documentId: string, editors: number, viewers: number): SocketPlan[] {
  return [
    ...Array.from(
      { length: editors },
      (): SocketPlan => ({
        documentId,
        instance: 0,
        token: 'editor',
        kind: 'typist',
        group: 'all',
      }),
    ),
    ...Array.from(
      { length: viewers },
      (): SocketPlan => ({
        documentId,
        instance: 0,
        token: 'viewer',
        kind: 'watcher',
        group: 'all',
      }),
    ),
  ];
}

/** Many small documents: one typist and `watchers` collaborators on each. */
export function manyDocumentsPlan(documentIds: readonly string[], watchers: number): SocketPlan[] {
  return documentIds.flatMap((documentId) => [
    { documentId, instance: 0, token: 'editor', kind: 'typist', group: 'all' } satisfies SocketPlan,
    ...Array.from(
      { length: watchers },
      (): SocketPlan => ({
        documentId,
        instance: 0,
        token: 'member',
        kind: 'watcher',
        group: 'all',
      }),
    ),
  ]);
}

/**
 * One crowded document: the editors connect first (a crowded room may admit late comers as
 * viewers only), then `sockets - editors` viewers, of which `instrumented` Y.Doc watchers are
 * spread evenly through the connect order so they sample every part of the fan-out loop.
 */
export function largeRoomPlan(
  documentId: string,
  sockets: number,
  editors: number,
  instrumented: number,
): SocketPlan[] {
  const viewers = sockets - editors;
  const every = Math.max(1, Math.floor(viewers / Math.max(1, instrumented)));
  return [
    ...Array.from(
      { length: editors },
      (): SocketPlan => ({
        documentId,
        instance: 0,
        token: 'editor',
        kind: 'typist',
        group: 'all',
      }),
    ),
    ...Array.from({ length: viewers }, (_, i): SocketPlan => {
      const watched = i % every === every - 1 && Math.floor(i / every) < instrumented;
      return watched
        ? { documentId, instance: 0, token: 'viewer', kind: 'watcher', group: 'all' }
        : { documentId, instance: 0, token: 'viewer', kind: 'raw' };
    }),
  ];
}

/**
 * Two instances on one bus: the typist of each document on instance 0, one watcher beside it
 * (the same-instance baseline of the same run) and `remote` watchers on instance 1.
 */
export function clusterPlan(documentIds: readonly string[], remote: number): SocketPlan[] {
  return documentIds.flatMap((documentId) => [
    { documentId, instance: 0, token: 'editor', kind: 'typist' } satisfies SocketPlan,
    { documentId, instance: 0, token: 'member', kind: 'watcher', group: 'sameInstance' } satisfies SocketPlan,
    ...Array.from(
      { length: remote },
      (): SocketPlan => ({
        documentId,
        instance: 1,
        token: 'member',
        kind: 'watcher',
        group: 'crossInstance',
      }),
    ),
  ]);
}
