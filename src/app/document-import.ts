/**
 * Importing a file (.docx, .md, .html, .txt) as a new document [I1]: the caller must be allowed to
 * create documents in the workspace (checked before any conversion runs), the file's format comes
 * from an explicit choice, its name's extension or its media type, and the conversion runs through
 * the `convert` port (the CRDT worker pool in production: it is untrusted work, bounded in time,
 * heap and nesting). The document row is written with its Yjs state and projections in one
 * insert, so it is searchable and exportable at once and opens like any other document.
 */
import { v7 as uuidv7 } from 'uuid';
import type { ImportFormat, ImportOutcome, ImportTask } from '../content/import/import-task.ts';
import { Unprocessable, UnsupportedMediaType } from '../domain/errors.ts';
import { TITLE_MAX_LENGTH } from '../domain/limits.ts';
import { authorizeWorkspace } from '../domain/policy.ts';
import { effectiveAccess } from '../domain/roles.ts';
import { DOC_COLUMNS, type DocumentView, view } from './documents.ts';
import type { DocumentImages } from './images.ts';
import type { PermissionCache } from './permissions.ts';
import type { Sql } from './ports.ts';

/** Outcomes the observer sees: `over_budget` is a file the converter ran out of time (or heap) on. */
export type ImportResult = 'ok' | 'unsupported' | 'unreadable' | 'too_deep' | 'too_large' | 'over_budget';

export type ImportObserver = (
  format: ImportFormat | 'unknown',
  result: ImportResult,
  detail: {
    bytes: number;
    seconds: number;
    documentId?: string;
    workspaceId: string;
    userId: string;
    blocks?: number;
    /** [I4] Images stored, and images that became a note instead. */
    images?: number;
    imageNotes?: number;
  },
) => void;

/** [I4] Where an import's images are checked against and stored: the same as uploads. */
export type ImportImageStore = Pick<
  DocumentImages,
  'importRules' | 'storeImported' | 'recordImported' | 'discardImported'
>;

/** Images one import stores at most (each is still under IMAGE_MAX_BYTES and the workspace's space). */
export const IMPORT_MAX_IMAGES = 500;

/** The converter's limit ran out: CrdtPool throws CrdtBudgetExceeded, or an Error when the thread died. */
export type ConvertFile = (task: ImportTask) => Promise<ImportOutcome>;

const EXTENSIONS: Record<string, ImportFormat> = {
  docx: 'docx',
  md: 'markdown',
  markdown: 'markdown',
  html: 'html',
  htm: 'html',
  txt: 'text',
  text: 'text',
};

const MEDIA_TYPES: Record<string, ImportFormat> = {
  'application/vnd.openxmlformats-officedocument.wordprocessingml.document': 'docx',
  'text/markdown': 'markdown',
  'text/x-markdown': 'markdown',
  'text/html': 'html',
  'text/plain': 'text',
};

/** The format of a file: an explicit choice wins, then the name's extension, then the media type. */
export function importFormatOf(name: string, mediaType: string | undefined, explicit?: ImportFormat) {
  if (explicit) return explicit;
  const extension = /\.([A-Za-z0-9]{1,10})$/.exec(name)?.[1]?.toLowerCase();
  if (extension && EXTENSIONS[extension]) return EXTENSIONS[extension];
  const type = mediaType?.split(';')[0]?.trim().toLowerCase();
  return type ? MEDIA_TYPES[type] : undefined;
}

const REFUSALS: Record<Exclude<ImportResult, 'ok' | 'unsupported' | 'over_budget'>, string> = {
  unreadable: 'unreadable_file',
  too_deep: 'too_deeply_nested',
  too_large: 'too_much_content',
};

export class DocumentImports {
  private readonly db: Sql;
  private readonly permissions: PermissionCache;
  private readonly convert: ConvertFile;
  private readonly observe: ImportObserver;
  private readonly images: ImportImageStore | undefined;

  constructor(
    db: Sql,
    permissions: PermissionCache,
    convert: ConvertFile,
    observe: ImportObserver = () => undefined,
    images?: ImportImageStore,
  ) {
    this.db = db;
    this.permissions = permissions;
    this.convert = convert;
    this.observe = observe;
    this.images = images;
  }

  async import(
    actor: string,
    workspaceId: string,
    file: { name: string; mediaType?: string; format?: ImportFormat; bytes: Uint8Array },
  ): Promise<DocumentView> {
    const role = await this.permissions.workspaceRole(actor, workspaceId);
    authorizeWorkspace(role, 'documents.create');
    const started = performance.now();
    const format = importFormatOf(file.name, file.mediaType, file.format);
    const report = (
      result: ImportResult,
      extra: { documentId?: string; blocks?: number; images?: number; imageNotes?: number } = {},
    ) =>
      this.observe(format ?? 'unknown', result, {
        bytes: file.bytes.byteLength,
        seconds: (performance.now() - started) / 1000,
        workspaceId,
        userId: actor,
        ...extra,
      });
    if (!format) {
      report('unsupported');
      throw new UnsupportedMediaType('import takes .docx, .md, .html and .txt files (name the file or set format)');
    }
    const baseName = file.name.replace(/\.[A-Za-z0-9]{1,10}$/, '');
    // The id comes first: the converter writes the images' URLs, which name the document.
    const documentId = uuidv7();
    const images = this.images
      ? { documentId, maxImages: IMPORT_MAX_IMAGES, ...(await this.images.importRules(workspaceId)) }
      : undefined;
    let outcome: ImportOutcome;
    try {
      outcome = await this.convert({
        kind: 'import',
        format,
        baseName,
        bytes: file.bytes,
        maxTitleLength: TITLE_MAX_LENGTH,
        ...(images && { images }),
      });
    } catch {
      // Out of time or heap: the file is too much to convert, whatever it claims to be.
      report('over_budget');
      throw new Unprocessable('the file is too large or complex to import', 'import_too_complex');
    }
    if (!outcome.ok) {
      report(outcome.reason);
      throw new Unprocessable(`the file cannot be imported: ${outcome.message}`, REFUSALS[outcome.reason]);
    }
    const imported = outcome;
    const store = this.images;
    const imageRows =
      store && imported.images.length > 0
        ? await store.storeImported(documentId, workspaceId, actor, imported.images)
        : [];
    let row: Awaited<ReturnType<typeof this.insert>>;
    try {
      row = await this.db.transaction().execute(async (tx) => {
        const inserted = await this.insert(tx, documentId, workspaceId, actor, imported);
        if (store) await store.recordImported(tx, imageRows);
        return inserted;
      });
    } catch (err) {
      await store?.discardImported(imageRows);
      throw err;
    }
    report('ok', {
      documentId: row.id,
      blocks: outcome.blocks,
      images: imageRows.length,
      imageNotes: outcome.imageNotes,
    });
    const grants = { generalAccess: row.general_access, isOwner: true };
    return view(row, { access: effectiveAccess(role, null, grants), isOwner: true, workspaceRole: role });
  }

  private insert(
    db: Sql,
    id: string,
    workspaceId: string,
    actor: string,
    outcome: Extract<ImportOutcome, { ok: true }>,
  ) {
    return db
      .insertInto('documents')
      .values({
        id,
        workspace_id: workspaceId,
        title: outcome.title,
        created_by: actor,
        owner_id: actor,
        state: outcome.state,
        content: JSON.stringify(outcome.content),
        content_text: outcome.text,
      })
      .returning(DOC_COLUMNS)
      .executeTakeFirstOrThrow();
  }
}
