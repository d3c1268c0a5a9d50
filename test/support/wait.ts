/**
 * The one way sync tests wait: on a condition, with a deadline, never for a fixed time. The probe
 * runs again on every poll (a few milliseconds apart, so a loaded machine only makes it slower,
 * not flaky); the timeout names what was awaited. Resolves with how long the wait took (ms).
 */
const POLL_MS = 5;
export const DEFAULT_WAIT_MS = 10_000;

export async function waitFor(
  what: string,
  probe: () => boolean | Promise<boolean>,
  timeoutMs = DEFAULT_WAIT_MS,
): Promise<number> {
  const started = performance.now();
  while (!(await probe())) {
    if (performance.now() - started > timeoutMs) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
  return performance.now() - started;
}

/** One turn of the event loop: lets resolved promises and I/O callbacks run. */
export const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));
