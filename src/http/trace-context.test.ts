import { describe, expect, it } from 'vitest';
import { childLoggerWithTrace, traceIdFromHeader } from './trace-context.ts';

describe('W3C traceparent parsing', () => {
  it('takes the trace id of a valid header', () => {
    expect(traceIdFromHeader('00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01')).toBe(
      '4bf92f3577b34da6a3ce929d0e0e4736',
    );
  });
  it.each([
    undefined,
    '',
    'garbage',
    '00-00000000000000000000000000000000-00f067aa0ba902b7-01',
    '00-4bf92f3577b34da6a3ce929d0e0e47-00f067aa0ba902b7-01',
    ['00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01'],
  ])('ignores %j', (header) => {
    expect(traceIdFromHeader(header as string | undefined)).toBeUndefined();
  });
});

describe('trace ids without OpenTelemetry', () => {
  const bindingsOf = (headers: Record<string, string>) => {
    let bound: Record<string, unknown> = {};
    const logger = {
      child: (b: Record<string, unknown>) => {
        bound = b;
        return logger;
      },
    };
    childLoggerWithTrace(logger as never, { reqId: 'r' }, {}, { headers } as never);
    return bound;
  };
  it('binds a fresh 32-hex trace id and distinct 16-hex span ids per request', () => {
    const a = bindingsOf({});
    const b = bindingsOf({});
    expect(a.trace_id).toMatch(/^[\da-f]{32}$/);
    expect(a.span_id).toMatch(/^[\da-f]{16}$/);
    expect(a.trace_id).not.toBe(b.trace_id);
    expect(a.span_id).not.toBe(b.span_id);
  });
  it("keeps the caller's trace id from traceparent", () => {
    const bound = bindingsOf({ traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01' });
    expect(bound.trace_id).toBe('4bf92f3577b34da6a3ce929d0e0e4736');
  });
});
