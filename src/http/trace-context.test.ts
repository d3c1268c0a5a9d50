import { describe, expect, it } from 'vitest';
import { traceIdFromHeader } from './trace-context.ts';

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
