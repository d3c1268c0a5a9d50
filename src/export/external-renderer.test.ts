import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type BreakerOptions, type BreakerState, CONVERT_PATH, ExternalPdfRenderer } from './external-renderer.ts';
import { RenderError } from './ports.ts';
import { FakePdfService } from './render/test-support/fake-pdf-service.ts';

const fastBreaker: Partial<BreakerOptions> = {
  callTimeoutMs: 2_000,
  volumeThreshold: 4,
  resetTimeoutMs: 150,
  rollingWindowMs: 10_000,
};

let service: FakePdfService;
const renderers: ExternalPdfRenderer[] = [];

function renderer(breaker: Partial<BreakerOptions> = fastBreaker) {
  const states: BreakerState[] = [];
  const logged: string[] = [];
  const logger = {
    info: (_: object, msg: string) => logged.push(msg),
    warn: (_: object, msg: string) => logged.push(msg),
  };
  const created = new ExternalPdfRenderer({ url: service.url, breaker, onStateChange: (s) => states.push(s), logger });
  renderers.push(created);
  const nextState = () =>
    new Promise<BreakerState>((resolve) => {
      const seen = states.length;
      const poll = setInterval(() => {
        if (states.length > seen) {
          clearInterval(poll);
          resolve(states[seen]!);
        }
      }, 5);
    });
  return { external: created, states, logged, nextState };
}

async function failure(promise: Promise<unknown>): Promise<RenderError> {
  const error = await promise.then(
    () => new Error('expected a failure'),
    (err: unknown) => err,
  );
  if (!(error instanceof RenderError)) throw error;
  return error;
}

const html = '<!doctype html><title>x</title><p>Hello</p>';

beforeEach(async () => {
  service = new FakePdfService();
  await service.start();
});

afterEach(async () => {
  for (const created of renderers.splice(0)) created.close();
  service.release();
  await service.stop();
});

describe('ExternalPdfRenderer', () => {
  it('posts the HTML as the multipart file index.html and returns the PDF', async () => {
    const { external } = renderer();
    const pdf = await external.convert(html);
    expect(Buffer.from(pdf.subarray(0, 5)).toString()).toBe('%PDF-');
    expect(service.received).toHaveLength(1);
    const [request] = service.received;
    expect(request!.method).toBe('POST');
    expect(request!.url).toBe(CONVERT_PATH);
    expect(request!.contentType).toMatch(/^multipart\/form-data; boundary=/);
    expect(request!.body).toContain('Content-Disposition: form-data; name="files"; filename="index.html"');
    expect(request!.body).toContain('Content-Type: text/html');
    expect(request!.body).toContain(html);
    expect(request!.body).toContain('Content-Disposition: form-data; name="files"; filename="footer.html"');
    expect(request!.body).toContain('Page <span class="pageNumber"></span> of <span class="totalPages"></span>');
    expect(request!.body).toMatch(/name="preferCssPageSize"\r\n\r\ntrue\r\n/);
    expect(request!.body).toMatch(/name="printBackground"\r\n\r\ntrue\r\n/);
    expect(external.state()).toBe('closed');
    expect(external.counts()).toEqual({ successes: 1, failures: 0, timeouts: 0, rejections: 0 });
  });

  it('stays closed below the volume threshold, opens at half failures, then fails fast without calling', async () => {
    const { external, states, logged } = renderer();
    await external.convert(html);
    await external.convert(html);
    service.mode = 'fail';
    expect((await failure(external.convert(html))).message).toBe('external renderer answered 500');
    expect(external.state()).toBe('closed'); // 1 of 3: below the volume threshold of 4
    const fourth = await failure(external.convert(html));
    expect(fourth.retryable).toBe(true);
    expect(external.state()).toBe('open'); // 2 of 4 failed: at least half
    expect(states).toEqual(['open']);
    expect(logged).toContain('external renderer circuit opened');
    const callsBefore = service.received.length;
    const fastFail = await failure(external.convert(html));
    expect(fastFail.message).toBe('renderer unavailable: circuit open');
    expect(fastFail.retryable).toBe(true);
    expect(service.received).toHaveLength(callsBefore);
    expect(external.counts()).toEqual({ successes: 2, failures: 2, timeouts: 0, rejections: 1 });
  });

  it('lets one trial call through when half-open and closes when it succeeds', async () => {
    const { external, nextState } = renderer();
    service.mode = 'fail';
    for (let i = 0; i < 4; i++) await failure(external.convert(html));
    expect(external.state()).toBe('open');
    expect(await nextState()).toBe('half-open');
    service.mode = 'hold';
    const trial = external.convert(html);
    await service.arrivals(5);
    const second = await failure(external.convert(html));
    expect(second.message).toBe('renderer unavailable: circuit open');
    service.release();
    expect(Buffer.from((await trial).subarray(0, 5)).toString()).toBe('%PDF-');
    expect(external.state()).toBe('closed');
    service.mode = 'pdf';
    await external.convert(html);
  });

  it('opens again when the half-open trial fails', async () => {
    const { external, nextState, states } = renderer();
    service.mode = 'fail';
    for (let i = 0; i < 4; i++) await failure(external.convert(html));
    expect(await nextState()).toBe('half-open');
    await failure(external.convert(html));
    expect(external.state()).toBe('open');
    expect(states).toEqual(['open', 'half-open', 'open']);
  });

  it('aborts a hanging call at the timeout: the service sees the request closed', async () => {
    const { external } = renderer({ ...fastBreaker, callTimeoutMs: 200 });
    service.mode = 'hang';
    const error = await failure(external.convert(html));
    expect(error.message).toBe('external renderer timed out after 200 ms');
    expect(error.retryable).toBe(true);
    await service.closedUnanswered;
    expect(external.counts()).toEqual({ successes: 0, failures: 1, timeouts: 1, rejections: 0 });
  });

  it('treats a refused document as permanent and not as the service failing', async () => {
    const { external } = renderer();
    service.mode = 'refuse';
    for (let i = 0; i < 6; i++) {
      const error = await failure(external.convert(html));
      expect(error.message).toBe('external renderer refused the document: 422');
      expect(error.retryable).toBe(false);
    }
    expect(external.state()).toBe('closed');
    expect(external.counts().failures).toBe(0);
  });

  it('counts a reply that is not a PDF as a failure', async () => {
    const { external } = renderer();
    service.mode = 'html';
    const error = await failure(external.convert(html));
    expect(error.message).toBe('external renderer replied with something that is not a PDF');
    expect(external.counts().failures).toBe(1);
  });

  it('counts an unreachable service as a failure', async () => {
    // Port 1 on the loopback: nothing listens there, the connection is refused.
    const unreachable = new ExternalPdfRenderer({ url: 'http://127.0.0.1:1', breaker: fastBreaker });
    renderers.push(unreachable);
    const error = await failure(unreachable.convert(html));
    expect(error.message).toMatch(/^external renderer unreachable: /);
    expect(error.retryable).toBe(true);
    expect(unreachable.counts()).toEqual({ successes: 0, failures: 1, timeouts: 0, rejections: 0 });
  });

  it('refuses nonsensical breaker settings and non-HTTP URLs at construction', () => {
    expect(() => new ExternalPdfRenderer({ url: service.url, breaker: { callTimeoutMs: 0 } })).toThrow(
      'breaker callTimeoutMs must be a positive number, got 0',
    );
    expect(() => new ExternalPdfRenderer({ url: service.url, breaker: { errorThresholdPercentage: 150 } })).toThrow(
      'breaker errorThresholdPercentage must be at most 100, got 150',
    );
    expect(() => new ExternalPdfRenderer({ url: service.url, breaker: { volumeThreshold: 1.5 } })).toThrow(
      'breaker volumeThreshold must be an integer, got 1.5',
    );
    expect(() => new ExternalPdfRenderer({ url: 'file:///etc/passwd' })).toThrow(
      'external renderer URL must be http(s), got file:',
    );
  });

  it('does not blame the service when the caller aborts', async () => {
    const { external } = renderer();
    service.mode = 'hang';
    const controller = new AbortController();
    const pending = failure(external.convert(html, controller.signal));
    await service.arrivals(1);
    controller.abort();
    expect((await pending).message).toBe('render aborted');
    await service.closedUnanswered;
    expect(external.counts()).toEqual({ successes: 0, failures: 0, timeouts: 0, rejections: 0 });
  });
});
