/**
 * Ports of the export pipeline. The job queue (outbox, workers, retries, storage) depends on
 * these; the renderers (worker threads, optional external HTTP service behind a breaker)
 * implement them. Nothing here knows Fastify, SQL or HTTP clients.
 */
import type { ProseMirrorJson } from '../content/prosemirror-json.ts';

export const EXPORT_FORMATS = ['pdf', 'docx', 'markdown', 'html'] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

export type RenderInput = {
  format: ExportFormat;
  /** The document's title, printed on the first page / as the HTML title. */
  title: string;
  /** The pinned document state, as ProseMirror JSON (see src/sync/projection.ts). */
  content: ProseMirrorJson;
};

export type RenderedFile = {
  bytes: Uint8Array;
  /** e.g. `application/pdf`. */
  contentType: string;
  /** File extension without the dot, e.g. `pdf`, `docx`, `md`, `html`. */
  extension: string;
};

/**
 * Renders one document. Implementations never block the caller's event loop (worker threads or
 * a remote service) and honour the abort signal.
 */
export interface Renderer {
  render(input: RenderInput, signal?: AbortSignal): Promise<RenderedFile>;
  close(): Promise<void>;
}

/**
 * A failure worth retrying later (breaker open, timeout, 5xx from the external service), as
 * opposed to a permanent one (document too large to render, bad content) that goes straight
 * to the dead-letter queue.
 */
export class RenderError extends Error {
  readonly retryable: boolean;
  constructor(message: string, options: { retryable: boolean; cause?: unknown }) {
    super(message, { cause: options.cause });
    this.name = 'RenderError';
    this.retryable = options.retryable;
  }
}
