import { threadId as mainThreadId } from 'node:worker_threads';
import { afterEach, describe, expect, it } from 'vitest';
import { RenderError } from './ports.ts';
import { readPdf } from './render/test-support/pdf-reader.ts';
import { doc, longDocument, paragraph, richDocument, text } from './render/test-support/sample-documents.ts';
import { RenderPool } from './render-pool.ts';

const misbehavingWorker = new URL('./render/test-support/misbehaving-worker.ts', import.meta.url);
const pools: RenderPool[] = [];

function pool(options: ConstructorParameters<typeof RenderPool>[0]): RenderPool {
  const created = new RenderPool(options);
  pools.push(created);
  return created;
}

async function failure(promise: Promise<unknown>): Promise<RenderError> {
  const error = await promise.then(
    () => new Error('expected a failure'),
    (err: unknown) => err,
  );
  if (!(error instanceof RenderError)) throw error;
  return error;
}

afterEach(async () => {
  await Promise.all(pools.splice(0).map((created) => created.close()));
});

describe('RenderPool', () => {
  it('renders every format in a worker thread, not on the main thread', async () => {
    const renderer = pool({ threads: 2, taskTimeoutMs: 10_000 });
    const results = await Promise.all(
      (['pdf', 'docx', 'markdown', 'html'] as const).map((format) =>
        renderer.run({ format, title: 'Pool', content: richDocument() }),
      ),
    );
    expect(mainThreadId).toBe(0);
    for (const result of results) {
      expect(result.threadId).not.toBe(0);
      expect(result.file.bytes.byteLength).toBeGreaterThan(0);
    }
    expect(results.map((result) => [result.file.extension, result.file.contentType])).toEqual([
      ['pdf', 'application/pdf'],
      ['docx', 'application/vnd.openxmlformats-officedocument.wordprocessingml.document'],
      ['md', 'text/markdown; charset=utf-8'],
      ['html', 'text/html; charset=utf-8'],
    ]);
    expect(readPdf(results[0]!.file.bytes).pageTexts[0]).toContain('Page 1 of 1');
    expect(new TextDecoder().decode(results[2]!.file.bytes)).toMatch(/^# Pool\n\n# Quarterly plan\n/);
  });

  it('hands back a buffer the bytes own whole (transferred, not a view into a shared pool)', async () => {
    const renderer = pool({ threads: 1, taskTimeoutMs: 10_000 });
    const { file } = await renderer.run({ format: 'markdown', title: 'T', content: doc(paragraph(text('x'))) });
    expect(file.bytes.byteOffset).toBe(0);
    expect(file.bytes.buffer.byteLength).toBe(file.bytes.byteLength);
  });

  it('rejects a document past the limits permanently, in the worker', async () => {
    const renderer = pool({ threads: 1, taskTimeoutMs: 10_000 });
    let deep = paragraph(text('x'));
    for (let i = 0; i < 500; i++) deep = { type: 'blockquote', content: [deep] };
    const error = await failure(renderer.render({ format: 'pdf', title: 'Deep', content: doc(deep) }));
    expect(error.retryable).toBe(false);
    expect(error.message).toBe('document cannot be rendered: nested deeper than 100 levels');
  });

  it('times out a render that takes too long, retryably', async () => {
    const renderer = pool({ threads: 1, taskTimeoutMs: 1 });
    const error = await failure(renderer.render({ format: 'pdf', title: 'Long', content: longDocument(20_000) }));
    expect(error.retryable).toBe(true);
    expect(error.message).toBe('render timed out after 1 ms');
  });

  it('terminates a thread stuck in CPU work at the timeout, so the next task gets a thread', async () => {
    // Generous: the timeout counts from submission, and the replacement thread must start within it.
    const renderer = pool({ threads: 1, taskTimeoutMs: 1_500, workerUrl: misbehavingWorker });
    const stuck = await failure(renderer.render({ format: 'pdf', title: 'spin', content: doc() }));
    expect(stuck.message).toBe('render timed out after 1500 ms');
    // One thread: this only completes if the spinning one was terminated and replaced.
    const next = await renderer.run({ format: 'pdf', title: 'fine', content: doc() });
    expect(next.file.bytes).toEqual(new Uint8Array([1, 2, 3]));
  });

  it('stops the work when the caller aborts', async () => {
    const renderer = pool({ threads: 1, taskTimeoutMs: 10_000, workerUrl: misbehavingWorker });
    const controller = new AbortController();
    const pending = failure(renderer.render({ format: 'pdf', title: 'spin', content: doc() }, controller.signal));
    controller.abort(new Error('job cancelled'));
    const error = await pending;
    expect(error.message).toBe('render aborted');
    expect(error.retryable).toBe(true);
    expect((await renderer.run({ format: 'pdf', title: 'fine', content: doc() })).threadId).not.toBe(0);
  });

  it.each(['crash', 'exit'])('reports a worker that dies (%s) as retryable and replaces it', async (title) => {
    const renderer = pool({ threads: 1, taskTimeoutMs: 10_000, workerUrl: misbehavingWorker });
    const error = await failure(renderer.render({ format: 'pdf', title, content: doc() }));
    expect(error.retryable).toBe(true);
    expect(error.message).toMatch(/^render worker failed: /);
    expect((await renderer.run({ format: 'pdf', title: 'fine', content: doc() })).file.extension).toBe('x');
  });

  it('fails fast when the queue is full instead of piling up work', async () => {
    const renderer = pool({ threads: 1, taskTimeoutMs: 5_000, maxQueue: 1, workerUrl: misbehavingWorker });
    await renderer.run({ format: 'pdf', title: 'fine', content: doc() }); // the thread is up
    const controller = new AbortController();
    const running = failure(renderer.render({ format: 'pdf', title: 'spin', content: doc() }, controller.signal));
    const queued = failure(renderer.render({ format: 'pdf', title: 'spin', content: doc() }, controller.signal));
    const refused = await failure(renderer.render({ format: 'pdf', title: 'fine', content: doc() }));
    expect(refused.message).toBe('render queue is full');
    expect(refused.retryable).toBe(true);
    controller.abort();
    expect((await running).message).toBe('render aborted');
    expect((await queued).message).toBe('render aborted');
  });

  it('refuses work after close', async () => {
    const renderer = pool({ threads: 1, taskTimeoutMs: 1_000 });
    await renderer.close();
    const error = await failure(renderer.render({ format: 'html', title: 'T', content: doc() }));
    expect(error.message).toBe('render pool is closed');
  });
});
