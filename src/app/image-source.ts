/**
 * The export worker's read access to images (src/export/inline-images.ts): one document's image
 * by id, from its row in `document_images` and its bytes in the file store. No authorization
 * here: the export was authorized when it was requested, and only the exported document's own
 * images are ever asked for.
 */
import { buffer } from 'node:stream/consumers';
import type { Kysely } from 'kysely';
import type { FileStorage, ImageSource } from '../export/ports.ts';
import { type ImageTables, withImageTables } from './images.ts';
import type { Sql } from './ports.ts';
import type { DB } from './schema.ts';

export class StoredImageSource implements ImageSource {
  private readonly db: Kysely<DB & ImageTables>;
  private readonly storage: FileStorage;

  constructor(db: Sql, storage: FileStorage) {
    this.db = withImageTables(db);
    this.storage = storage;
  }

  async read(documentId: string, imageId: string): Promise<{ bytes: Uint8Array; contentType: string } | null> {
    const row = await this.db
      .selectFrom('document_images')
      .select(['storage_key', 'content_type'])
      .where('id', '=', imageId)
      .where('document_id', '=', documentId)
      .executeTakeFirst();
    if (!row) return null;
    const file = await this.storage.open(row.storage_key);
    if (!file) return null;
    return { bytes: await buffer(file.stream), contentType: row.content_type };
  }
}
