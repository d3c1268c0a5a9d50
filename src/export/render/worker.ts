/**
 * The worker-thread entry of the render pool: renders one task and hands the bytes back by
 * transferring their buffer (no copy). Failures come back as data, not as thrown errors: an
 * Error crossing threads loses its class and `retryable`, and a throw here is not a crash.
 */
import { performance } from 'node:perf_hooks';
import { threadId } from 'node:worker_threads';
import { Piscina, transferableSymbol, valueSymbol } from 'piscina';
import { RenderError } from '../ports.ts';
import { type RenderTask, renderFile } from './render-file.ts';

export type WorkerOutcome =
  | { ok: true; bytes: Uint8Array; contentType: string; extension: string; threadId: number; renderMs: number }
  | { ok: false; message: string; retryable: boolean; threadId: number; renderMs: number };

/** Bytes that own their whole buffer, so transferring it hands over exactly them. */
function owned(bytes: Uint8Array): Uint8Array<ArrayBuffer> {
  const whole = bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength;
  return whole && bytes.buffer instanceof ArrayBuffer ? (bytes as Uint8Array<ArrayBuffer>) : new Uint8Array(bytes);
}

export default async function render(task: RenderTask): Promise<unknown> {
  const started = performance.now();
  try {
    const file = await renderFile(task);
    const bytes = owned(file.bytes);
    const outcome: WorkerOutcome = {
      ok: true,
      bytes,
      contentType: file.contentType,
      extension: file.extension,
      threadId,
      renderMs: performance.now() - started,
    };
    return Piscina.move({ [transferableSymbol]: [bytes.buffer], [valueSymbol]: outcome });
  } catch (err) {
    const outcome: WorkerOutcome = {
      ok: false,
      message: err instanceof Error ? err.message : String(err),
      // Anything but a RenderError is a bug that the same content would hit again.
      retryable: err instanceof RenderError ? err.retryable : false,
      threadId,
      renderMs: performance.now() - started,
    };
    return outcome;
  }
}
