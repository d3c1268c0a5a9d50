/**
 * Renders one document to one file, in whatever thread calls it: the guard rails first, then the
 * renderer for the format. Pure (content in, bytes out); the pool runs it in worker threads and
 * the benchmark in-process as the baseline.
 */
import type { ProseMirrorJson } from '../../content/prosemirror-json.ts';
import { EXPORT_FORMATS, RenderError, type RenderedFile, type RenderInput } from '../ports.ts';
import { commentsSection, type PlacedComments, placeComments } from './comment-notes.ts';
import { toDocx } from './docx.ts';
import { toHtmlDocument } from './html-document.ts';
import { checkRenderable, DEFAULT_RENDER_LIMITS, displayTitle, type RenderLimits } from './limits.ts';
import { toMarkdownDocument } from './markdown-document.ts';
import { type PdfOptions, toPdf } from './pdf.ts';

export type RenderTask = RenderInput & {
  /**
   * HTML meant for the external PDF service rather than for download: no remote images, so a
   * document cannot make that browser fetch URLs on our network. Only with format `html`.
   */
  forPrint?: boolean;
};

export type RenderFileOptions = { limits?: RenderLimits; pdf?: PdfOptions };

export const FILE_TYPES = {
  pdf: { contentType: 'application/pdf', extension: 'pdf' },
  docx: { contentType: 'application/vnd.openxmlformats-officedocument.wordprocessingml.document', extension: 'docx' },
  markdown: { contentType: 'text/markdown; charset=utf-8', extension: 'md' },
  html: { contentType: 'text/html; charset=utf-8', extension: 'html' },
} as const;

const utf8 = new TextEncoder();

export async function renderFile(task: RenderTask, options: RenderFileOptions = {}): Promise<RenderedFile> {
  if (!(EXPORT_FORMATS as readonly string[]).includes(task.format)) {
    throw new RenderError(`unknown export format ${JSON.stringify(task.format)}`, { retryable: false });
  }
  const limits = options.limits ?? DEFAULT_RENDER_LIMITS;
  checkRenderable(task.content, limits);
  const title = displayTitle(task.title, limits);
  try {
    return { ...FILE_TYPES[task.format], bytes: await renderBytes(task, title, options) };
  } catch (err) {
    if (err instanceof RenderError) throw err;
    // The same content would fail the same way again: not worth a retry.
    throw new RenderError(`${task.format} renderer failed: ${err instanceof Error ? err.message : String(err)}`, {
      retryable: false,
      cause: err,
    });
  }
}

/** [E10] The content with its threads' markers, and the numbered threads; as it is without threads. */
function placed(task: RenderTask): PlacedComments {
  const threads = task.comments ?? [];
  if (threads.length === 0) return { content: task.content, notes: [] };
  // Only Word comments cover a range; elsewhere a marker after the text is the footnote.
  return placeComments(task.content, threads, { starts: task.format === 'docx' });
}

async function renderBytes(task: RenderTask, title: string, options: RenderFileOptions): Promise<Uint8Array> {
  const { content, notes } = placed(task);
  switch (task.format) {
    case 'pdf': {
      const withSection: ProseMirrorJson = {
        ...content,
        content: [...(content.content ?? []), ...commentsSection(notes)],
      };
      return toPdf(title, withSection, options.pdf);
    }
    case 'docx':
      return toDocx(title, content, notes);
    case 'markdown':
      return utf8.encode(toMarkdownDocument(title, content, notes));
    case 'html':
      return utf8.encode(toHtmlDocument(title, content, { remoteImages: task.forPrint !== true }, notes));
  }
}
