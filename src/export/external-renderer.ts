/**
 * The optional external HTML → PDF service (Gotenberg's Chromium route: `POST
 * {url}/forms/chromium/convert/html`, a multipart form whose `files` field is `index.html`, the
 * PDF as the response body), called through an opossum circuit breaker: it opens when at least
 * half of the calls in the rolling window fail (once the window holds enough calls to judge),
 * fails fast while open, lets a single trial call through after the reset timeout, and closes
 * when that trial succeeds. Every call has a timeout that aborts the HTTP request itself.
 */
import CircuitBreaker from 'opossum';
import { RenderError } from './ports.ts';

export type BreakerOptions = {
  /** Longest one HTTP call may take; the request is aborted then. */
  callTimeoutMs: number;
  /** Share of failed calls in the window at which the breaker opens. */
  errorThresholdPercentage: number;
  /** The rolling window the failure share is measured over. */
  rollingWindowMs: number;
  /**
   * Calls the window must hold before it may open, so one early failure cannot. Small on purpose:
   * with one worker slot and 5 s timeouts a hung service produces only two calls per 10 s window.
   */
  volumeThreshold: number;
  /** How long the breaker stays open before letting a trial call through. */
  resetTimeoutMs: number;
};

export const DEFAULT_BREAKER_OPTIONS: BreakerOptions = {
  callTimeoutMs: 5_000,
  errorThresholdPercentage: 50,
  rollingWindowMs: 10_000,
  volumeThreshold: 2,
  resetTimeoutMs: 60_000,
};

export type BreakerState = 'closed' | 'open' | 'half-open';

export type BreakerCounts = {
  successes: number;
  /** Calls that counted against the service: 5xx, unreachable, timeouts, replies that are not a PDF. */
  failures: number;
  /** Failures that were timeouts (also counted in failures). */
  timeouts: number;
  /** Calls refused without trying because the breaker was open (or half-open with its trial out). */
  rejections: number;
};

export type BreakerLogger = {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
};

export type ExternalPdfRendererOptions = {
  /** Base URL of the service, e.g. `http://gotenberg:3000`. */
  url: string;
  breaker?: Partial<BreakerOptions>;
  onStateChange?: (state: BreakerState) => void;
  logger?: BreakerLogger;
  /** A larger reply is refused (and counts as a failure). */
  maxResponseBytes?: number;
};

export const CONVERT_PATH = '/forms/chromium/convert/html';
export const DEFAULT_MAX_RESPONSE_BYTES = 200 * 1024 * 1024;
/** Rolling window resolution: opossum counts in this many buckets. */
const ROLLING_BUCKETS = 10;
const pdfMagic = [0x25, 0x50, 0x44, 0x46, 0x2d]; // "%PDF-"
/**
 * Chromium fills the pageNumber and totalPages spans of a footer.html sent with the page, so the
 * service's PDFs carry the same "Page N of M" as pdfkit's. (Styled on a block inside the body:
 * Chromium's footer box ignores width and alignment set on the body itself.)
 */
export const FOOTER_HTML =
  '<html><head><style>body { font-size: 8pt; } .footer { width: 100%; text-align: center; color: #666; ' +
  'font-family: Helvetica, Arial, sans-serif; }</style></head>' +
  '<body><div class="footer">Page <span class="pageNumber"></span> of <span class="totalPages"></span></div></body></html>';

/** The caller gave up: says nothing about the service, so the breaker ignores it. */
class CallerAborted extends Error {}

export class ExternalPdfRenderer {
  private readonly endpoint: string;
  private readonly options: BreakerOptions;
  private readonly breaker: CircuitBreaker<[Uint8Array | string, AbortSignal | undefined], Uint8Array>;
  private readonly maxResponseBytes: number;
  private readonly tally: BreakerCounts = { successes: 0, failures: 0, timeouts: 0, rejections: 0 };
  private current: BreakerState = 'closed';

  constructor(options: ExternalPdfRendererOptions) {
    const base = new URL(options.url);
    if (base.protocol !== 'http:' && base.protocol !== 'https:') {
      throw new RangeError(`external renderer URL must be http(s), got ${base.protocol}`);
    }
    this.endpoint = `${base.href.replace(/\/+$/, '')}${CONVERT_PATH}`;
    this.options = validBreakerOptions({ ...DEFAULT_BREAKER_OPTIONS, ...options.breaker });
    this.maxResponseBytes = options.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES;
    const { errorThresholdPercentage, rollingWindowMs, volumeThreshold, resetTimeoutMs } = this.options;
    this.breaker = new CircuitBreaker(
      (html: Uint8Array | string, signal: AbortSignal | undefined) => this.post(html, signal),
      {
        // The call's own timeout aborts the request; opossum's would only stop waiting for it.
        timeout: false,
        // opossum opens strictly above the percentage; the rule is "at least half".
        errorThresholdPercentage: errorThresholdPercentage - 1e-9,
        rollingCountTimeout: rollingWindowMs,
        rollingCountBuckets: ROLLING_BUCKETS,
        volumeThreshold,
        resetTimeout: resetTimeoutMs,
        errorFilter: (err: unknown) => err instanceof CallerAborted || (err instanceof RenderError && !err.retryable),
      },
    );
    const changed = (state: BreakerState) => {
      this.current = state;
      const stats = { state, ...this.tally, endpoint: this.endpoint };
      if (state === 'open') options.logger?.warn(stats, 'external renderer circuit opened');
      else options.logger?.info(stats, `external renderer circuit ${state}`);
      options.onStateChange?.(state);
    };
    this.breaker.on('open', () => changed('open'));
    this.breaker.on('halfOpen', () => changed('half-open'));
    this.breaker.on('close', () => changed('closed'));
  }

  /** Converts a standalone HTML document to PDF bytes. */
  async convert(html: Uint8Array | string, signal?: AbortSignal): Promise<Uint8Array> {
    try {
      const pdf = await this.breaker.fire(html, signal);
      this.tally.successes++;
      return pdf;
    } catch (err) {
      if (err instanceof CallerAborted) throw new RenderError('render aborted', { retryable: true, cause: err.cause });
      if (err instanceof RenderError) throw err;
      if ((err as { code?: unknown }).code === 'EOPENBREAKER') {
        this.tally.rejections++;
        throw new RenderError('renderer unavailable: circuit open', { retryable: true, cause: err });
      }
      throw new RenderError(`external renderer failed: ${err instanceof Error ? err.message : String(err)}`, {
        retryable: true,
        cause: err,
      });
    }
  }

  state(): BreakerState {
    return this.current;
  }

  counts(): BreakerCounts {
    return { ...this.tally };
  }

  /** Stops the breaker's timers. */
  close(): void {
    this.breaker.shutdown();
  }

  private async post(html: Uint8Array | string, signal: AbortSignal | undefined): Promise<Uint8Array> {
    const timeout = AbortSignal.timeout(this.options.callTimeoutMs);
    const combined = signal === undefined ? timeout : AbortSignal.any([signal, timeout]);
    try {
      const form = new FormData();
      form.append('files', new Blob([html as BlobPart], { type: 'text/html' }), 'index.html');
      form.append('files', new Blob([FOOTER_HTML], { type: 'text/html' }), 'footer.html');
      // The page size and margins come from the document's @page rule; code blocks keep their shading.
      form.append('preferCssPageSize', 'true');
      form.append('printBackground', 'true');
      const response = await fetch(this.endpoint, { method: 'POST', body: form, signal: combined });
      if (!response.ok) {
        await response.body?.cancel();
        throw statusError(response.status);
      }
      return await this.readPdf(response);
    } catch (err) {
      if (signal?.aborted) throw new CallerAborted('caller aborted', { cause: signal.reason });
      if (timeout.aborted) {
        this.tally.failures++;
        this.tally.timeouts++;
        throw new RenderError(`external renderer timed out after ${this.options.callTimeoutMs} ms`, {
          retryable: true,
          cause: err,
        });
      }
      if (!(err instanceof RenderError)) {
        this.tally.failures++;
        throw new RenderError(`external renderer unreachable: ${err instanceof Error ? err.message : String(err)}`, {
          retryable: true,
          cause: err,
        });
      }
      if (err.retryable) this.tally.failures++;
      throw err;
    }
  }

  private async readPdf(response: Response): Promise<Uint8Array> {
    const declared = Number(response.headers.get('content-length') ?? Number.NaN);
    if (declared > this.maxResponseBytes) {
      await response.body?.cancel();
      throw new RenderError(`external renderer reply is larger than ${this.maxResponseBytes} bytes`, {
        retryable: true,
      });
    }
    const chunks: Uint8Array[] = [];
    let size = 0;
    for await (const chunk of response.body ?? []) {
      size += chunk.byteLength;
      if (size > this.maxResponseBytes) {
        throw new RenderError(`external renderer reply is larger than ${this.maxResponseBytes} bytes`, {
          retryable: true,
        });
      }
      chunks.push(chunk);
    }
    const bytes = new Uint8Array(size);
    let at = 0;
    for (const chunk of chunks) {
      bytes.set(chunk, at);
      at += chunk.byteLength;
    }
    if (!pdfMagic.every((byte, i) => bytes[i] === byte)) {
      throw new RenderError('external renderer replied with something that is not a PDF', { retryable: true });
    }
    return bytes;
  }
}

function validBreakerOptions(options: BreakerOptions): BreakerOptions {
  for (const [name, value] of Object.entries(options)) {
    const positive = typeof value === 'number' && Number.isFinite(value) && value > 0;
    if (!positive && !(name === 'volumeThreshold' && value === 0)) {
      throw new RangeError(`breaker ${name} must be a positive number, got ${value}`);
    }
  }
  if (options.errorThresholdPercentage > 100) {
    throw new RangeError(
      `breaker errorThresholdPercentage must be at most 100, got ${options.errorThresholdPercentage}`,
    );
  }
  if (!Number.isInteger(options.volumeThreshold)) {
    throw new RangeError(`breaker volumeThreshold must be an integer, got ${options.volumeThreshold}`);
  }
  return options;
}

/** 5xx, 408 and 429 are the service's trouble (retry later); other 4xx mean it refuses this document. */
function statusError(status: number): RenderError {
  if (status >= 500 || status === 408 || status === 429) {
    return new RenderError(`external renderer answered ${status}`, { retryable: true });
  }
  return new RenderError(`external renderer refused the document: ${status}`, { retryable: false });
}
