/**
 * Renders one document to one file, in whatever thread calls it: the guard rails first, then the
 * renderer for the format. Pure (content in, bytes out); the pool runs it in worker threads and
 * the benchmark in-process as the baseline.
 */
import { EXPORT_FORMATS, RenderError, type RenderedFile, type RenderInput } from '../ports.ts';
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

async function renderBytes(task: RenderTask, title: string, options: RenderFileOptions): Promise<Uint8Array> {
  switch (task.format) {
    case 'pdf':
      return toPdf(title, task.content, options.pdf);
    case 'docx':
      return toDocx(title, task.content);
    case 'markdown':
      return utf8.encode(toMarkdownDocument(title, task.content));
    case 'html':
      return utf8.encode(toHtmlDocument(title, task.content, { remoteImages: task.forPrint !== true }));
  }
}
