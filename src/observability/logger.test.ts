/** Specifies the log line: service and level fields, trace correlation, and no secret in logs or logged URLs. */

import { context, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { BasicTracerProvider } from '@opentelemetry/sdk-trace-base';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger, REDACT_PATHS, sanitizeUrl } from './logger.ts';

const SECRET = 'hunter2-s3cret';

function capture(level = 'info') {
  const lines: string[] = [];
  const logger = createLogger({
    level,
    service: 'collab-docs-test',
    destination: { write: (line) => lines.push(line) },
  });
  const records = () => lines.map((line) => JSON.parse(line) as Record<string, unknown>);
  return { logger, lines, records };
}

/** Builds `{ a: { b: value } }` from a redact path such as `a.b`, `*.b` or `a["b-c"]`. */
function objectAt(path: string, value: string): Record<string, unknown> {
  const segments = path.match(/[^.[\]"]+/g) ?? [];
  return segments.reduceRight<unknown>(
    (inner, segment) => ({ [segment === '*' ? 'nested' : segment]: inner }),
    value,
  ) as Record<string, unknown>;
}

describe('createLogger', () => {
  it('writes one JSON object per line with service, level label and msg', () => {
    const { logger, records } = capture();
    logger.info({ documentId: 'd1' }, 'document created');
    logger.debug('below the level');
    expect(records()).toEqual([
      expect.objectContaining({
        service: 'collab-docs-test',
        level: 'info',
        msg: 'document created',
        documentId: 'd1',
      }),
    ]);
  });

  it.each(REDACT_PATHS.map((path) => [path]))('redacts %s', (path) => {
    const { logger, lines } = capture();
    logger.info(objectAt(path, SECRET), 'with a secret');
    expect(lines[0]).not.toContain(SECRET);
    expect(lines[0]).toContain('[redacted]');
  });

  it('redacts a logged request and response as the HTTP layer logs them, keeping the rest', () => {
    const { logger, records } = capture();
    logger.info(
      {
        req: {
          method: 'POST',
          url: '/api/v1/auth/login',
          headers: { authorization: `Bearer ${SECRET}`, cookie: SECRET },
        },
        res: { statusCode: 200, headers: { 'set-cookie': [SECRET] } },
        body: { email: 'ada@example.com', password: SECRET, refreshToken: SECRET },
        user: { id: 'u1', accessToken: SECRET },
      },
      'login',
    );
    const [record] = records();
    expect(JSON.stringify(record)).not.toContain(SECRET);
    expect(record).toMatchObject({
      req: {
        method: 'POST',
        url: '/api/v1/auth/login',
        headers: { authorization: '[redacted]', cookie: '[redacted]' },
      },
      res: { statusCode: 200, headers: { 'set-cookie': '[redacted]' } },
      body: { email: 'ada@example.com', password: '[redacted]', refreshToken: '[redacted]' },
      user: { id: 'u1', accessToken: '[redacted]' },
    });
  });

  describe('trace correlation', () => {
    const contextManager = new AsyncLocalStorageContextManager();
    const provider = new BasicTracerProvider();
    beforeAll(() => {
      context.setGlobalContextManager(contextManager.enable());
    });
    afterAll(async () => {
      context.disable();
      await provider.shutdown();
    });

    it('adds the trace_id and span_id of the active span', () => {
      const { logger, records } = capture();
      const tracer = provider.getTracer('test');
      const ids = tracer.startActiveSpan('request', (span) => {
        logger.info('inside');
        span.end();
        return span.spanContext();
      });
      expect(trace.getActiveSpan()).toBeUndefined();
      logger.info('outside');
      const [inside, outside] = records();
      expect(inside).toMatchObject({ trace_id: ids.traceId, span_id: ids.spanId });
      expect(inside.trace_id).toMatch(/^[0-9a-f]{32}$/);
      expect(outside).not.toHaveProperty('trace_id');
      expect(outside).not.toHaveProperty('span_id');
    });

    it('keeps the ids of a remote parent context that has no local span yet', () => {
      const { logger, records } = capture();
      const remote = {
        traceId: '0af7651916cd43dd8448eb211c80319c',
        spanId: 'b7ad6b7169203331',
        traceFlags: 1,
        isRemote: true,
      };
      context.with(trace.setSpanContext(context.active(), remote), () => logger.info('inside'));
      expect(records()[0]).toMatchObject({ trace_id: remote.traceId, span_id: remote.spanId });
    });
  });
});

describe('sanitizeUrl', () => {
  it.each([
    ['/ws?token=abc.def.ghi', '/ws?token=[redacted]'],
    ['/ws?doc=d1&token=abc&mode=edit', '/ws?doc=d1&token=[redacted]&mode=edit'],
    [
      '/cb?access_token=a&refresh_token=b&password=c&secret=d',
      '/cb?access_token=[redacted]&refresh_token=[redacted]&password=[redacted]&secret=[redacted]',
    ],
    ['https://docs.example.com/ws?token=abc#frag', 'https://docs.example.com/ws?token=[redacted]#frag'],
    ['/ws?Token=abc&access%5Ftoken=def', '/ws?Token=[redacted]&access%5Ftoken=[redacted]'],
    ['/ws?token', '/ws?token=[redacted]'],
    ['/ws?token=a&token=b', '/ws?token=[redacted]&token=[redacted]'],
  ])('redacts credentials in %s', (url, expected) => {
    expect(sanitizeUrl(url)).toBe(expected);
  });

  it.each([
    '/api/v1/documents/d1',
    '/api/v1/search?q=token%3Dabc&page=2',
    '/ws?tokens=1&mytoken=2&token_hint=3',
    '/ws?q=%E0%A4%A',
    '/docs#token=abc',
    '/docs#section?token=abc',
  ])('leaves %s unchanged', (url) => {
    expect(sanitizeUrl(url)).toBe(url);
  });
});
