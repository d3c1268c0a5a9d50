/**
 * Reading a document's current content (readers only): the use case behind GET
 * /documents/{id}/content. Where the content comes from — a live room on this instance or the
 * stored state plus the log — is the ContentSource port's business (src/sync implements it).
 */
import { NotFound } from '../domain/errors.ts';
import type { Documents } from './documents.ts';
import type { ContentSource, DocumentSnapshot } from './ports.ts';

export class DocumentContentReads {
  private readonly documents: Documents;
  private readonly source: ContentSource;

  constructor(documents: Documents, source: ContentSource) {
    this.documents = documents;
    this.source = source;
  }

  async read(actor: string, documentId: string): Promise<DocumentSnapshot> {
    await this.documents.authorize(actor, documentId, 'document.read');
    const read = await this.source.read(documentId);
    if (!read) throw new NotFound('document not found');
    return read;
  }
}
