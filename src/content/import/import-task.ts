/**
 * Importing a file as a new document's content, run in the CRDT pool's threads (crdt-worker.ts
 * dispatches here) because every step's cost is the uploader's choice: unzipping and reading a
 * Word file (mammoth), Markdown (marked) and HTML parsing, building the Y.Doc. Word and Markdown
 * become HTML first, so one converter (html-to-prosemirror.ts) decides what reaches the
 * document and sanitizes it; plain text becomes paragraphs. The result is the document's Yjs
 * state in the editor's schema, its projections (for search and exports) and a title: the Word
 * file's own, else a leading level-1 heading (taken out of the body, as it becomes the title),
 * else the file's name. Failures come back as data (an Error crossing threads loses its class).
 */
import mammoth from 'mammoth';
import { Marked } from 'marked';
import * as Y from 'yjs';
import { documentFromProsemirror } from '../from-prosemirror.ts';
import { projectDocument } from '../projection.ts';
import type { ProseMirrorJson } from '../prosemirror-json.ts';
import { storableText } from '../storable-text.ts';
import { docxTitle } from './docx-title.ts';
import {
  defaultHtmlImportLimits,
  type HtmlImportLimits,
  htmlToProsemirror,
  ImportLimitError,
} from './html-to-prosemirror.ts';
import { type ImportedImage, ImportImageCollector, type ImportImageRules } from './import-images.ts';

export const IMPORT_FORMATS = ['docx', 'markdown', 'html', 'text'] as const;
export type ImportFormat = (typeof IMPORT_FORMATS)[number];

export type ImportTask = {
  kind: 'import';
  format: ImportFormat;
  /** The file's name without its extension: the title of last resort. */
  baseName: string;
  bytes: Uint8Array;
  limits?: HtmlImportLimits;
  /** Titles are cut to this many characters. */
  maxTitleLength: number;
  /** Embedded and data: images are imported under these rules [I4]; absent, images are left out. */
  images?: ImportImageRules;
};

export type ImportFailure = 'unreadable' | 'too_deep' | 'too_large';

export type ImportOutcome =
  | {
      ok: true;
      title: string;
      state: Uint8Array;
      content: unknown;
      text: string;
      blocks: number;
      /** The images the document names, checked, for the importer to store [I4]. */
      images: ImportedImage[];
      /** Images that became a note instead (too large, not an image, out of space). */
      imageNotes: number;
    }
  | { ok: false; reason: ImportFailure; message: string };

/** Thrown for a file that is not what its format says (not UTF-8 text, not a Word file). */
class Unreadable extends Error {}

function utf8(bytes: Uint8Array): string {
  try {
    // A byte-order mark is not text.
    return new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(bytes);
  } catch {
    throw new Unreadable('the file is not UTF-8 text');
  }
}

const escapeHtml = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** Plain text: paragraphs at blank lines, line breaks inside them kept. */
function textToHtml(text: string): string {
  return text
    .replace(/\r\n?/g, '\n')
    .split(/\n[ \t]*\n/)
    .filter((p) => p.trim() !== '')
    .map((p) => `<p>${escapeHtml(p).replace(/\n/g, '<br>')}</p>`)
    .join('');
}

async function toHtml(task: ImportTask, collector: ImportImageCollector): Promise<{ html: string; title?: string }> {
  if (task.format === 'docx') {
    const buffer = Buffer.from(task.bytes.buffer, task.bytes.byteOffset, task.bytes.byteLength);
    let html: string;
    try {
      const result = await mammoth.convertToHtml(
        { buffer },
        {
          // Pictures are collected and checked like uploads (import-images.ts), never inlined as data.
          convertImage: mammoth.images.imgElement(async (image) =>
            task.images ? { src: collector.add(new Uint8Array(await image.read())) } : { src: '' },
          ),
          // Never follow links to files outside the document.
          externalFileAccess: false,
        },
      );
      html = result.value;
    } catch (err) {
      throw new Unreadable(`the file is not a readable Word document (${err instanceof Error ? err.message : err})`);
    }
    return { html, title: docxTitle(buffer) };
  }
  const text = utf8(task.bytes);
  if (task.format === 'markdown') {
    const marked = new Marked({ gfm: true, async: false });
    return { html: marked.parse(text, { async: false }) };
  }
  if (task.format === 'html') return { html: text };
  return { html: textToHtml(text) };
}

function inlineText(node: ProseMirrorJson): string {
  return (node.content ?? []).map((c) => (c.type === 'text' ? (c.text ?? '') : ' ')).join('');
}

/** The title and the body: a leading level-1 heading becomes the title when the file has none. */
function titled(doc: ProseMirrorJson, fileTitle: string | undefined, baseName: string, max: number) {
  const blocks = doc.content ?? [];
  const first = blocks[0];
  let title = fileTitle;
  let body = doc;
  if (title === undefined && first?.type === 'heading' && first.attrs?.level === 1 && inlineText(first).trim()) {
    title = inlineText(first);
    const rest = blocks.slice(1);
    body = { ...doc, content: rest.length > 0 ? rest : [{ type: 'paragraph' }] };
  }
  const clean = storableText((title ?? baseName).replace(/\s+/g, ' ').trim())
    .slice(0, max)
    .trim();
  return { title: clean || 'Untitled', body };
}

function countBlocks(node: ProseMirrorJson): number {
  let n = 0;
  const stack = [...(node.content ?? [])];
  for (let next = stack.pop(); next; next = stack.pop()) {
    if (next.type === 'text') continue;
    n++;
    stack.push(...(next.content ?? []));
  }
  return n;
}

export async function runImportTask(task: ImportTask): Promise<ImportOutcome> {
  let doc: Y.Doc | undefined;
  try {
    const collector = new ImportImageCollector();
    const { html, title: fileTitle } = await toHtml(task, collector);
    const imageSource = task.images ? (src: string) => collector.fromSrc(src) : undefined;
    const parsed = htmlToProsemirror(html, task.limits ?? defaultHtmlImportLimits, imageSource);
    const { images, notes } = task.images ? await collector.resolve(parsed, task.images) : { images: [], notes: 0 };
    const { title, body } = titled(parsed, fileTitle, task.baseName, task.maxTitleLength);
    doc = documentFromProsemirror(body);
    // The projections are read back from the Y.Doc, exactly as compaction would write them.
    const projection = projectDocument(doc);
    const state = Y.encodeStateAsUpdate(doc);
    return {
      ok: true,
      title,
      state,
      content: projection.content,
      text: projection.text,
      blocks: countBlocks(body),
      images,
      imageNotes: notes,
    };
  } catch (err) {
    if (err instanceof ImportLimitError) return { ok: false, reason: err.reason, message: err.message };
    if (err instanceof Unreadable) return { ok: false, reason: 'unreadable', message: err.message };
    // Stack overflows and other surprises on hostile input: the file, not the server, is at fault.
    return { ok: false, reason: 'unreadable', message: err instanceof Error ? err.message : String(err) };
  } finally {
    doc?.destroy();
  }
}
