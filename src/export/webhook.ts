/**
 * Completion webhooks. When a job reaches a final state its row is marked `webhook_state =
 * 'pending'` in the same statement; this dispatcher claims pending rows (`SKIP LOCKED`, pushing
 * their next attempt a lease ahead so nobody else sends them meanwhile), POSTs with no
 * connection held, and records the delivery. Each outcome has one delivery id
 * (`<job id>.<generation>`) that receivers dedupe on: at least once on the wire, once for them.
 *
 * Signature: `X-CollabDocs-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>`.
 * The timestamp is signed, so a receiver that rejects old timestamps is safe from replays.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { LookupFunction } from 'node:net';
import { sql } from 'kysely';
import type { Logger } from 'pino';
import { retryDelayMs } from '../domain/export-policy.ts';
import { withSpan } from '../observability/tracing.ts';
import type { ExportSql } from './job-schema.ts';
import { isNonPublicAddress } from './webhook-target.ts';

export const SIGNATURE_HEADER = 'x-collabdocs-signature';
export const DELIVERY_HEADER = 'x-collabdocs-delivery';
export const EVENT_HEADER = 'x-collabdocs-event';
const CLAIM_BATCH = 10;
const MAX_ERROR_LENGTH = 500;

export function signWebhook(secret: string, body: string, timestampSeconds: number): string {
  const v1 = createHmac('sha256', secret).update(`${timestampSeconds}.${body}`).digest('hex');
  return `t=${timestampSeconds},v1=${v1}`;
}

/** What a receiver does: recompute the HMAC over `t.body` and refuse timestamps older than `toleranceSeconds`. */
export function verifyWebhookSignature(
  secret: string,
  header: string | undefined,
  body: string,
  opts: { toleranceSeconds?: number; nowSeconds?: number } = {},
): boolean {
  if (!header) return false;
  const parts = new Map(header.split(',').map((p) => p.trim().split('=', 2) as [string, string]));
  const t = Number(parts.get('t'));
  const v1 = parts.get('v1');
  if (!Number.isInteger(t) || !v1 || !/^[0-9a-f]{64}$/.test(v1)) return false;
  const now = opts.nowSeconds ?? Math.floor(Date.now() / 1000);
  if (Math.abs(now - t) > (opts.toleranceSeconds ?? 300)) return false;
  const expected = createHmac('sha256', secret).update(`${t}.${body}`).digest();
  return timingSafeEqual(expected, Buffer.from(v1, 'hex'));
}

export type WebhookEvent = 'export.succeeded' | 'export.failed' | 'export.dead';

export type WebhookOptions = {
  pollIntervalMs: number;
  /** A claimed delivery is ours this long before another dispatcher may send it. */
  leaseMs: number;
  timeoutMs: number;
  maxAttempts: number;
  backoffBaseMs: number;
  /** Loopback and private targets (tests, closed networks). */
  allowPrivateTargets: boolean;
  /** Used when a job has no secret of its own. */
  serverSecret?: string;
  /** Base for absolute download links in the payload. */
  publicUrl: string;
  apiPrefix: string;
};

type Pending = {
  id: string;
  generation: number;
  webhook_url: string;
  webhook_secret: string | null;
  webhook_attempts: number;
  status: string;
  document_id: string;
  workspace_id: string;
  format: string;
  attempts: number;
  error: string | null;
  created_at: Date;
  finished_at: Date | null;
  result_expires_at: Date | null;
};

/** DNS answers are checked before connecting, so a public name cannot lead inside (rebinding). */
export function guardedLookup(allowPrivate: boolean): LookupFunction {
  return (hostname, options, callback) => {
    dnsLookup(hostname, { ...options, all: true }, (err, addresses: LookupAddress[]) => {
      if (err) return callback(err, '', 0);
      const refused = allowPrivate ? undefined : addresses.find((a) => isNonPublicAddress(a.address));
      if (refused) {
        return callback(new Error(`webhook host ${hostname} resolves to a non-public address`), '', 0);
      }
      if ((options as { all?: boolean }).all)
        return (callback as (e: null, a: LookupAddress[]) => void)(null, addresses);
      const first = addresses[0];
      if (!first) return callback(new Error(`webhook host ${hostname} has no address`), '', 0);
      callback(null, first.address, first.family);
    });
  };
}

/** One POST; resolves with the status code. Redirects are not followed. */
function post(
  url: string,
  body: string,
  headers: Record<string, string>,
  timeoutMs: number,
  lookup: LookupFunction,
): Promise<number> {
  return new Promise((resolve, reject) => {
    const target = new URL(url);
    const send = target.protocol === 'https:' ? httpsRequest : httpRequest;
    const req = send(
      target,
      {
        method: 'POST',
        headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) },
        lookup,
        signal: AbortSignal.timeout(timeoutMs),
      },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

export class WebhookDispatcher {
  private readonly db: ExportSql;
  private readonly opts: WebhookOptions;
  private readonly logger: Logger;
  private readonly onAttempt: (result: 'delivered' | 'retry' | 'failed') => void;
  private readonly onLoopError: () => void;
  private readonly lookup: LookupFunction;
  private timer: NodeJS.Timeout | undefined;
  private current: Promise<void> = Promise.resolve();
  private stopped = true;

  constructor(
    db: ExportSql,
    deps: { logger: Logger; onAttempt: WebhookDispatcher['onAttempt']; onLoopError: () => void },
    opts: WebhookOptions,
  ) {
    this.db = db;
    this.opts = opts;
    this.logger = deps.logger;
    this.onAttempt = deps.onAttempt;
    this.onLoopError = deps.onLoopError;
    this.lookup = guardedLookup(opts.allowPrivateTargets);
  }

  start(): void {
    this.stopped = false;
    this.schedule(0);
  }

  private schedule(ms: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.current = this.runOnce()
        .then((sent) => this.schedule(sent > 0 ? 0 : this.opts.pollIntervalMs))
        .catch((err) => {
          this.onLoopError();
          this.logger.error({ err }, 'export webhook dispatch failed; retrying at the next poll');
          this.schedule(this.opts.pollIntervalMs);
        });
    }, ms);
  }

  /** Sends every due delivery it can claim; returns how many it attempted. */
  async runOnce(): Promise<number> {
    const due = await this.claim();
    await Promise.all(due.map((p) => this.deliver(p)));
    return due.length;
  }

  private async claim(): Promise<Pending[]> {
    const r = await sql<Pending>`
      update export_jobs set webhook_next_at = now() + make_interval(secs => ${this.opts.leaseMs}::float8 / 1000),
        webhook_attempts = webhook_attempts + 1
      where id in (select id from export_jobs where webhook_state = 'pending' and webhook_next_at <= now()
                   order by webhook_next_at limit ${CLAIM_BATCH} for update skip locked)
      returning id, generation, webhook_url, webhook_secret, webhook_attempts, status, document_id, workspace_id,
        format, attempts, error, created_at, finished_at, result_expires_at`.execute(this.db);
    return r.rows;
  }

  payload(p: Pending): { event: WebhookEvent; deliveryId: string; body: string } {
    const event: WebhookEvent =
      p.status === 'succeeded' ? 'export.succeeded' : p.status === 'dead' ? 'export.dead' : 'export.failed';
    const deliveryId = `${p.id}.${p.generation}`;
    const base = this.opts.publicUrl.replace(/\/$/, '');
    const body = JSON.stringify({
      id: deliveryId,
      type: event,
      createdAt: new Date().toISOString(),
      data: {
        id: p.id,
        documentId: p.document_id,
        workspaceId: p.workspace_id,
        format: p.format,
        status: p.status,
        attempts: p.attempts,
        error: p.error,
        createdAt: new Date(p.created_at).toISOString(),
        finishedAt: p.finished_at ? new Date(p.finished_at).toISOString() : null,
        ...(p.status === 'succeeded' && {
          downloadUrl: `${base}${this.opts.apiPrefix}/exports/${p.id}/download`,
          expiresAt: p.result_expires_at ? new Date(p.result_expires_at).toISOString() : null,
        }),
      },
    });
    return { event, deliveryId, body };
  }

  private async deliver(p: Pending): Promise<void> {
    const secret = p.webhook_secret ?? this.opts.serverSecret;
    const { event, deliveryId, body } = this.payload(p);
    const log = this.logger.child({ jobId: p.id, deliveryId, attempt: p.webhook_attempts });
    const problem = await withSpan(
      'export.webhook',
      { 'export.job_id': p.id, 'webhook.event': event, 'webhook.attempt': p.webhook_attempts },
      async (span): Promise<string | null> => {
        try {
          const status = await post(
            p.webhook_url,
            body,
            {
              'content-type': 'application/json',
              'user-agent': 'collab-docs-webhooks/1',
              [EVENT_HEADER]: event,
              [DELIVERY_HEADER]: deliveryId,
              ...(secret && { [SIGNATURE_HEADER]: signWebhook(secret, body, Math.floor(Date.now() / 1000)) }),
            },
            this.opts.timeoutMs,
            this.lookup,
          );
          span.setAttribute('http.response.status_code', status);
          return status >= 200 && status < 300 ? null : `receiver answered HTTP ${status}`;
        } catch (err) {
          return err instanceof Error ? err.message : String(err);
        }
      },
      { root: true },
    );
    const mine = () =>
      this.db
        .updateTable('export_jobs')
        .where('id', '=', p.id)
        .where('generation', '=', p.generation)
        .where('webhook_state', '=', 'pending');
    if (problem === null) {
      await mine()
        .set({ webhook_state: 'delivered', webhook_delivered_at: sql<Date>`now()`, webhook_last_error: null })
        .execute();
      this.onAttempt('delivered');
      log.info({ event }, 'export webhook delivered');
      return;
    }
    const error = problem.slice(0, MAX_ERROR_LENGTH);
    if (p.webhook_attempts >= this.opts.maxAttempts) {
      await mine().set({ webhook_state: 'failed', webhook_last_error: error }).execute();
      this.onAttempt('failed');
      log.error({ event, error }, 'export webhook given up');
      return;
    }
    const delay = retryDelayMs(p.webhook_attempts, this.opts.backoffBaseMs);
    await mine()
      .set({
        webhook_last_error: error,
        webhook_next_at: sql<Date>`now() + make_interval(secs => ${delay}::float8 / 1000)`,
      })
      .execute();
    this.onAttempt('retry');
    log.warn({ event, error, retryInMs: delay }, 'export webhook failed; will retry');
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.current.catch(() => undefined);
  }
}
