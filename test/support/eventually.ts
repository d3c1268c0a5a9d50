/** Polling helpers for tests against real processes, where no event says "done" across the process boundary. */

/** Polls `probe` every `pollMs` until it holds; throws naming `what` after `timeoutMs`. */
export async function eventually(
  what: string,
  probe: () => Promise<boolean> | boolean,
  timeoutMs: number,
  pollMs = 50,
): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!(await probe())) {
    if (performance.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, pollMs));
  }
}

/** The `;`-terminated edits a typing test wrote, in document order. */
export const editsIn = (text: string): string[] => text.split(';').filter((t) => t.length > 0);
