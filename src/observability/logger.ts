/** Structured JSON logging: one pino logger per process, carrying the service name, the active trace and span ids, and never a secret. */
import { isSpanContextValid, trace } from '@opentelemetry/api';
import { pino } from 'pino';

/** Fields whose values are replaced by `REDACTED` wherever they appear in a log record. */
export const REDACT_PATHS: readonly string[] = [
  'req.headers.authorization',
  'req.headers.cookie',
  'res.headers["set-cookie"]',
  'password',
  '*.password',
  'token',
  '*.token',
  'accessToken',
  '*.accessToken',
  'refreshToken',
  '*.refreshToken',
  'body.password',
  'body.refreshToken',
  'privateKey',
  '*.privateKey',
  'private_jwk',
  '*.private_jwk',
  'secret',
  '*.secret',
  'clientSecret',
  '*.clientSecret',
];

export const REDACTED = '[redacted]';

/** Query parameters that carry credentials (the WebSocket upgrade sends `?token=`). */
export const SENSITIVE_QUERY_PARAMS: readonly string[] = [
  'token',
  'access_token',
  'refresh_token',
  'password',
  'secret',
];

const SENSITIVE_QUERY_SET = new Set(SENSITIVE_QUERY_PARAMS);

export type LoggerOptions = {
  level: string;
  service: string;
  /** Where the JSON lines go; stdout when omitted. */
  destination?: pino.DestinationStream;
};

export function createLogger(opts: LoggerOptions): pino.Logger {
  const options: pino.LoggerOptions = {
    level: opts.level,
    base: { service: opts.service },
    // Level as a label ("info", not 30) so the lines read the same in Loki as in a terminal.
    formatters: { level: (label) => ({ level: label }) },
    mixin: traceFields,
    redact: { paths: [...REDACT_PATHS], censor: REDACTED },
  };
  return opts.destination ? pino(options, opts.destination) : pino(options);
}

/** Correlates each log line with the span that was active when it was written. */
function traceFields(): { trace_id?: string; span_id?: string } {
  const spanContext = trace.getActiveSpan()?.spanContext();
  if (!spanContext || !isSpanContextValid(spanContext)) return {};
  return { trace_id: spanContext.traceId, span_id: spanContext.spanId };
}

/**
 * Replaces the values of credential-bearing query parameters with `[redacted]`, leaving the rest
 * of the URL (relative or absolute, encoded or not) exactly as it was.
 */
export function sanitizeUrl(url: string): string {
  const queryStart = url.indexOf('?');
  const hashStart = url.indexOf('#');
  if (queryStart === -1 || (hashStart !== -1 && hashStart < queryStart)) return url;
  const queryEnd = hashStart === -1 ? url.length : hashStart;
  const query = url.slice(queryStart + 1, queryEnd);
  const sanitized = query
    .split('&')
    .map((pair) => {
      const eq = pair.indexOf('=');
      const key = eq === -1 ? pair : pair.slice(0, eq);
      return SENSITIVE_QUERY_SET.has(decodeKey(key)) ? `${key}=${REDACTED}` : pair;
    })
    .join('&');
  return `${url.slice(0, queryStart + 1)}${sanitized}${url.slice(queryEnd)}`;
}

function decodeKey(key: string): string {
  try {
    return decodeURIComponent(key.replaceAll('+', ' ')).toLowerCase();
  } catch {
    return key.toLowerCase(); // malformed escapes: compare the raw key
  }
}
