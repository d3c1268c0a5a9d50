/**
 * Version history use cases (docs/spec/history.md): list a document's versions, read one (as
 * ProseMirror JSON, from which the routes render Markdown or HTML), compare one with the version
 * before it, save a named version, and restore one as a new change on the live document. Readers
 * browse; editors save and restore (src/domain/policy.ts). Where the live document and the CRDT
 * work come from is the VersionSource port's business (src/sync/document-versions.ts).
 */

import type { ProseMirrorJson } from '../content/prosemirror-json.ts';
import type { Comparison } from '../content/version-compare.ts';
import { NotFound } from '../domain/errors.ts';
import type { DocumentAction } from '../domain/policy.ts';
import { decodeInstantCursor, encodeInstantCursor } from './list-cursors.ts';
import type { VersionKind } from './version-schema.ts';
import type { VersionRow, VersionStore } from './version-store.ts';

/** The live document and the CRDT work on states, off the main thread. */
export interface VersionSource {
  /** The document's state now (encoded Yjs update); null when it does not exist. */
  current(documentId: string): Promise<Uint8Array | null>;
  /**
   * Applies, as one new change on the live document, what turns its content into `target`'s;
   * collaborators receive it like any edit. Returns the state before and after; null when gone.
   */
  restore(documentId: string, target: Uint8Array): Promise<{ before: Uint8Array; after: Uint8Array } | null>;
  /** ProseMirror JSON of a state. */
  project(state: Uint8Array): Promise<ProseMirrorJson>;
  compare(older: Uint8Array | null, newer: Uint8Array): Promise<Comparison>;
}

export type Person = { userId: string; displayName: string };
export type VersionView = {
  id: string;
  createdAt: string;
  kind: VersionKind;
  name: string | null;
  createdBy: Person | null;
  contributors: Person[];
  restoredFrom: string | null;
  sizeBytes: number;
};
export type VersionComparison = {
  versionId: string;
  previousVersionId: string | null;
  added: number;
  removed: number;
  blocks: {
    type: string;
    status: 'same' | 'added' | 'removed';
    segments: { text: string; status: 'same' | 'added' | 'removed'; authorId?: string }[];
  }[];
  authors: Person[];
};

/** Told of every version written and restore made (metrics, logs). */
export type VersionObserver = {
  created(kind: VersionKind, bytes: number, documentId: string, actor: string | null): void;
  skipped(documentId: string): void;
  restored(documentId: string, versionId: string, actor: string): void;
};

export class Versions {
  private readonly store: VersionStore;
  private readonly source: VersionSource;
  private readonly authorize: (actor: string, documentId: string, action: DocumentAction) => Promise<unknown>;
  private readonly observer: VersionObserver;

  constructor(deps: {
    store: VersionStore;
    source: VersionSource;
    authorize: (actor: string, documentId: string, action: DocumentAction) => Promise<unknown>;
    observer: VersionObserver;
  }) {
    this.store = deps.store;
    this.source = deps.source;
    this.authorize = deps.authorize;
    this.observer = deps.observer;
  }

  async list(
    actor: string,
    documentId: string,
    page: { limit: number; cursor?: string },
  ): Promise<{ items: VersionView[]; nextCursor: string | null }> {
    await this.authorize(actor, documentId, 'versions.read');
    const after = page.cursor ? decodeInstantCursor('version', page.cursor) : undefined;
    const rows = await this.store.list(documentId, page.limit + 1, after && { createdAt: after.at, id: after.id });
    const more = rows.length > page.limit;
    const shown = rows.slice(0, page.limit);
    const last = shown.at(-1);
    return {
      items: await this.views(shown),
      nextCursor: more && last ? encodeInstantCursor('version', last.key, last.id) : null,
    };
  }

  /** One version and its content (ProseMirror JSON). */
  async read(
    actor: string,
    documentId: string,
    versionId: string,
  ): Promise<VersionView & { content: ProseMirrorJson }> {
    await this.authorize(actor, documentId, 'versions.read');
    const row = await this.found(documentId, versionId);
    const [view] = await this.views([row]);
    return { ...view!, content: await this.source.project(row.state) };
  }

  /** What changed from the version before to this one, block by block, with who wrote it. */
  async compare(actor: string, documentId: string, versionId: string): Promise<VersionComparison> {
    await this.authorize(actor, documentId, 'versions.read');
    const row = await this.found(documentId, versionId);
    const previous = await this.store.previous(documentId, row);
    const c = await this.source.compare(previous?.state ?? null, row.state);
    const clientAuthors = await this.store.clientAuthors(documentId, c.clients);
    const names = await this.store.names([...clientAuthors.values()]);
    return {
      versionId: row.id,
      previousVersionId: previous?.id ?? null,
      added: c.added,
      removed: c.removed,
      blocks: c.blocks.map((b) => ({
        type: b.type,
        status: b.status,
        segments: b.segments.map((s) => {
          const authorId = s.clientId === undefined ? undefined : clientAuthors.get(s.clientId);
          return authorId ? { text: s.text, status: s.status, authorId } : { text: s.text, status: s.status };
        }),
      })),
      authors: [...names].map(([userId, displayName]) => ({ userId, displayName })),
    };
  }

  /** POST …/versions: a named version of the document as it is now (editors). */
  async saveNamed(actor: string, documentId: string, name: string): Promise<VersionView> {
    await this.authorize(actor, documentId, 'versions.create');
    const state = await this.source.current(documentId);
    if (!state) throw new NotFound('document not found');
    const row = await this.store.add(documentId, { kind: 'named', name, createdBy: actor, state });
    if (!row) throw new NotFound('document not found');
    this.observer.created('named', row.stateBytes, documentId, actor);
    const [view] = await this.views([row]);
    return view!;
  }

  /**
   * POST …/versions/{id}/restore (editors): the live document gets the version's content as a new
   * change; history gains a pre-restore version (what it was) and a restore entry (what it became).
   */
  async restore(
    actor: string,
    documentId: string,
    versionId: string,
  ): Promise<{ restore: VersionView; preRestore: VersionView }> {
    await this.authorize(actor, documentId, 'versions.restore');
    const target = await this.found(documentId, versionId);
    const done = await this.source.restore(documentId, target.state);
    if (!done) throw new NotFound('document not found');
    const pre = await this.store.add(documentId, { kind: 'pre-restore', createdBy: actor, state: done.before });
    const entry = await this.store.add(documentId, {
      kind: 'restore',
      createdBy: actor,
      restoredFrom: target.id,
      contributors: [actor],
      state: done.after,
    });
    if (!pre || !entry) throw new NotFound('document not found');
    this.observer.created('pre-restore', pre.stateBytes, documentId, actor);
    this.observer.created('restore', entry.stateBytes, documentId, actor);
    this.observer.restored(documentId, target.id, actor);
    const [restore, preRestore] = await this.views([entry, pre]);
    return { restore: restore!, preRestore: preRestore! };
  }

  /** An automatic version (the sync tier, after a pause or a stretch of activity); skipped when nothing changed. */
  async autoVersion(documentId: string): Promise<void> {
    const state = await this.source.current(documentId);
    if (!state) return;
    const row = await this.store.add(documentId, { kind: 'auto', state });
    if (row) this.observer.created('auto', row.stateBytes, documentId, null);
    else this.observer.skipped(documentId);
  }

  noteAuthors(documentId: string, userIds: string[], clients: [number, string][]): Promise<void> {
    return this.store.noteAuthors(documentId, userIds, clients);
  }

  private async found(documentId: string, versionId: string) {
    const row = await this.store.get(documentId, versionId);
    if (!row) throw new NotFound('version not found');
    return row;
  }

  private async views(rows: VersionRow[]): Promise<VersionView[]> {
    const ids = rows.flatMap((r) => [...r.contributors, ...(r.createdBy ? [r.createdBy] : [])]);
    const names = await this.store.names(ids);
    const person = (userId: string): Person => ({ userId, displayName: names.get(userId) ?? 'Former member' });
    return rows.map((r) => ({
      id: r.id,
      createdAt: r.createdAt.toISOString(),
      kind: r.kind,
      name: r.name,
      createdBy: r.createdBy ? person(r.createdBy) : null,
      contributors: r.contributors.map(person),
      restoredFrom: r.restoredFrom,
      sizeBytes: r.stateBytes,
    }));
  }
}
