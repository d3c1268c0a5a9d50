/**
 * Images in documents (docs/spec/images.md): editors upload bytes that are sniffed (PNG, JPEG,
 * GIF, WebP only), size- and quota-checked, stored through the file store port under a random key
 * and recorded in `document_images`; readers of the document fetch them. Document access is
 * checked on every call, so a revoked share hides the images at once. The same bytes uploaded
 * twice to one document are stored once (the SHA-256 is the ETag too).
 */
import { createHash } from 'node:crypto';
import type { ColumnType, Insertable, Kysely, Selectable } from 'kysely';
import { v7 as uuidv7 } from 'uuid';
import {
  type Dimensions,
  IMAGE_EXTENSIONS,
  type ImageType,
  imageDimensions,
  sniffImageType,
} from '../content/image-bytes.ts';
import type { ImportedImage } from '../content/import/import-images.ts';
import { Conflict, NotFound, TooLarge, UnsupportedMediaType } from '../domain/errors.ts';
import { authorizeDocument } from '../domain/policy.ts';
import type { FileStorage, StoredFile } from '../export/ports.ts';
import type { PermissionCache } from './permissions.ts';
import type { Sql } from './ports.ts';
import type { DB } from './schema.ts';

export interface DocumentImagesTable {
  id: string;
  workspace_id: string;
  document_id: string;
  uploaded_by: string | null;
  storage_key: string;
  content_type: ImageType;
  size_bytes: number;
  width: number | null;
  height: number | null;
  sha256: string;
  created_at: ColumnType<Date, Date | string | undefined, Date | string>;
}
export type ImageTables = { document_images: DocumentImagesTable };
export const withImageTables = <D>(db: Kysely<D>): Kysely<D & ImageTables> => db.withTables<ImageTables>();

export type ImageView = {
  id: string;
  documentId: string;
  /** Where readers fetch it (with their access token); what the editor stores in the node's `src`. */
  url: string;
  contentType: ImageType;
  size: number;
  width: number | null;
  height: number | null;
  createdAt: string;
};

export type ImageFile = { file: StoredFile; contentType: ImageType; etag: string };

export type ImageUploadOutcome = 'stored' | 'duplicate' | 'too_large' | 'unsupported' | 'quota';

export type ImagesOptions = {
  /** Largest upload in bytes (IMAGE_MAX_BYTES). */
  maxBytes: number;
  /** Image bytes a workspace may hold in all (IMAGE_WORKSPACE_MAX_BYTES); null = unlimited. */
  workspaceMaxBytes: number | null;
  apiPrefix: string;
  onUpload?: (outcome: ImageUploadOutcome, type: ImageType | 'unknown', bytes: number) => void;
};

/** The URL of an image, the only form of `src` the exports inline (src/export/inline-images.ts). */
export const imageUrl = (apiPrefix: string, documentId: string, imageId: string) =>
  `${apiPrefix}/documents/${documentId}/images/${imageId}`;

const mib = (bytes: number) => `${Math.round((bytes / 1_048_576) * 10) / 10} MiB`;

export class DocumentImages {
  private readonly db: Kysely<DB & ImageTables>;
  private readonly permissions: PermissionCache;
  private readonly storage: FileStorage;
  private readonly opts: ImagesOptions;

  constructor(db: Sql, permissions: PermissionCache, storage: FileStorage, opts: ImagesOptions) {
    this.db = withImageTables(db);
    this.permissions = permissions;
    this.storage = storage;
    this.opts = opts;
  }

  get maxBytes(): number {
    return this.opts.maxBytes;
  }

  private async authorize(actor: string, documentId: string, action: 'images.upload' | 'images.read') {
    const info = await this.permissions.documentAccess(actor, documentId);
    if (!info) throw new NotFound('document not found');
    authorizeDocument(info, action);
    return info;
  }

  /** [IM2] [IM3] Checks, stores and records one image; the same bytes twice give the same image. */
  async upload(actor: string, documentId: string, body: unknown): Promise<{ image: ImageView; created: boolean }> {
    const info = await this.authorize(actor, documentId, 'images.upload');
    if (!(body instanceof Uint8Array) || body.byteLength === 0) {
      this.opts.onUpload?.('unsupported', 'unknown', 0);
      throw new UnsupportedMediaType(
        'send the image file itself as the request body, with Content-Type image/png, image/jpeg, image/gif or image/webp',
      );
    }
    const bytes = body;
    if (bytes.byteLength > this.opts.maxBytes) {
      this.opts.onUpload?.('too_large', 'unknown', bytes.byteLength);
      throw new TooLarge(`images may be at most ${mib(this.opts.maxBytes)}; this one is ${mib(bytes.byteLength)}`);
    }
    const type = await sniffImageType(bytes);
    if (!type) {
      this.opts.onUpload?.('unsupported', 'unknown', bytes.byteLength);
      throw new UnsupportedMediaType(
        'only PNG, JPEG, GIF and WebP images can be added (the file was checked by its content, not its name)',
      );
    }
    const sha256 = createHash('sha256').update(bytes).digest('hex');
    const existing = await this.db
      .selectFrom('document_images')
      .selectAll()
      .where('document_id', '=', documentId)
      .where('sha256', '=', sha256)
      .executeTakeFirst();
    if (existing) {
      this.opts.onUpload?.('duplicate', type, bytes.byteLength);
      return { image: this.view(existing), created: false };
    }
    const workspaceId = info.document.workspaceId;
    if (this.opts.workspaceMaxBytes !== null) {
      const used = await this.workspaceBytes(workspaceId);
      if (used + bytes.byteLength > this.opts.workspaceMaxBytes) {
        this.opts.onUpload?.('quota', type, bytes.byteLength);
        throw new Conflict(
          `this workspace's images already use ${mib(used)} of ${mib(this.opts.workspaceMaxBytes)}; ` +
            'delete documents with images you no longer need, or ask the operator for more',
        );
      }
    }
    const id = uuidv7();
    // `-1`: the file store's key shape (`<uuid>-<n>.<ext>`); an image's bytes are written once.
    const key = `${id}-1.${IMAGE_EXTENSIONS[type]}`;
    const size: Dimensions | undefined = imageDimensions(type, bytes);
    // Bytes first, then the row: a crash in between leaves a file the cleanup sweeps, never a row without bytes.
    await this.storage.put(key, bytes);
    try {
      const row = await this.db
        .insertInto('document_images')
        .values({
          id,
          workspace_id: workspaceId,
          document_id: documentId,
          uploaded_by: actor,
          storage_key: key,
          content_type: type,
          size_bytes: bytes.byteLength,
          width: size?.width ?? null,
          height: size?.height ?? null,
          sha256,
        })
        .onConflict((oc) => oc.columns(['document_id', 'sha256']).doNothing())
        .returningAll()
        .executeTakeFirst();
      if (row) {
        this.opts.onUpload?.('stored', type, bytes.byteLength);
        return { image: this.view(row), created: true };
      }
    } catch (err) {
      await this.storage.delete(key).catch(() => undefined);
      throw err;
    }
    // The same bytes were uploaded at the same moment by someone else: theirs is the image.
    await this.storage.delete(key);
    const winner = await this.db
      .selectFrom('document_images')
      .selectAll()
      .where('document_id', '=', documentId)
      .where('sha256', '=', sha256)
      .executeTakeFirstOrThrow();
    this.opts.onUpload?.('duplicate', type, bytes.byteLength);
    return { image: this.view(winner), created: false };
  }

  /** [IM4] The document's images, oldest first (readers). */
  async list(actor: string, documentId: string): Promise<ImageView[]> {
    await this.authorize(actor, documentId, 'images.read');
    const rows = await this.db
      .selectFrom('document_images')
      .selectAll()
      .where('document_id', '=', documentId)
      .orderBy('id')
      .execute();
    return rows.map((r) => this.view(r));
  }

  /**
   * [IM4] One image's bytes (readers of its document). `ifNoneMatch` equal to its ETag answers
   * `notModified` without touching the file store.
   */
  async open(
    actor: string,
    documentId: string,
    imageId: string,
    ifNoneMatch?: string,
  ): Promise<ImageFile | { notModified: true; etag: string }> {
    await this.authorize(actor, documentId, 'images.read');
    const row = await this.db
      .selectFrom('document_images')
      .select(['storage_key', 'content_type', 'sha256'])
      .where('id', '=', imageId)
      .where('document_id', '=', documentId)
      .executeTakeFirst();
    if (!row) throw new NotFound('image not found');
    const etag = `"${row.sha256}"`;
    if (ifNoneMatch?.split(',').some((tag) => tag.trim() === etag || tag.trim() === `W/${etag}`)) {
      return { notModified: true, etag };
    }
    const file = await this.storage.open(row.storage_key);
    if (!file) throw new NotFound('image not found');
    return { file, contentType: row.content_type, etag };
  }

  /**
   * [I4] The limits an import's images are checked against (in the converter, as uploads are):
   * the upload size limit and what the workspace may still store.
   */
  async importRules(
    workspaceId: string,
  ): Promise<{ maxBytes: number; remainingBytes: number | null; apiPrefix: string }> {
    const max = this.opts.workspaceMaxBytes;
    const remainingBytes = max === null ? null : Math.max(0, max - (await this.workspaceBytes(workspaceId)));
    return { maxBytes: this.opts.maxBytes, remainingBytes, apiPrefix: this.opts.apiPrefix };
  }

  /**
   * [I4] Stores an import's checked images (bytes first, as uploads do) and returns their rows for
   * the transaction that creates the document; `discardImported` removes the files if it fails.
   */
  async storeImported(
    documentId: string,
    workspaceId: string,
    actor: string,
    images: readonly ImportedImage[],
  ): Promise<Insertable<DocumentImagesTable>[]> {
    const rows: Insertable<DocumentImagesTable>[] = [];
    try {
      for (const image of images) {
        const key = `${image.id}-1.${IMAGE_EXTENSIONS[image.type]}`;
        await this.storage.put(key, image.bytes);
        rows.push({
          id: image.id,
          workspace_id: workspaceId,
          document_id: documentId,
          uploaded_by: actor,
          storage_key: key,
          content_type: image.type,
          size_bytes: image.bytes.byteLength,
          width: image.width,
          height: image.height,
          sha256: image.sha256,
        });
        this.opts.onUpload?.('stored', image.type, image.bytes.byteLength);
      }
    } catch (err) {
      await this.discardImported(rows);
      throw err;
    }
    return rows;
  }

  /** [I4] The rows, in the caller's transaction (the document's row is written first). */
  async recordImported(tx: Sql, rows: readonly Insertable<DocumentImagesTable>[]): Promise<void> {
    if (rows.length > 0)
      await withImageTables(tx)
        .insertInto('document_images')
        .values([...rows])
        .execute();
  }

  /** [I4] The files of an import that did not happen (the cleanup would sweep them after a day). */
  async discardImported(rows: readonly Insertable<DocumentImagesTable>[]): Promise<void> {
    await Promise.all(rows.map((r) => this.storage.delete(r.storage_key).catch(() => undefined)));
  }

  private async workspaceBytes(workspaceId: string): Promise<number> {
    const r = await this.db
      .selectFrom('document_images')
      .select((eb) => eb.fn.coalesce(eb.fn.sum<number>('size_bytes'), eb.lit(0)).as('total'))
      .where('workspace_id', '=', workspaceId)
      .executeTakeFirstOrThrow();
    return Number(r.total);
  }

  private view(r: Selectable<DocumentImagesTable>): ImageView {
    return {
      id: r.id,
      documentId: r.document_id,
      url: imageUrl(this.opts.apiPrefix, r.document_id, r.id),
      contentType: r.content_type,
      size: r.size_bytes,
      width: r.width,
      height: r.height,
      createdAt: r.created_at.toISOString(),
    };
  }
}
