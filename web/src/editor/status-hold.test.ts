import { describe, expect, it } from 'vitest';
import { type HeldStatus, holdStatus, MIN_SAVING_MS, SAVED_TEXT, SAVING_TEXT, SETTLE_MS } from './status-hold.ts';

/** Feeds raw statuses at the given times and records every text the indicator shows. */
function shownTexts(events: [at: number, raw: string][], until: number): string[] {
  let shown: HeldStatus | null = null;
  let recheckAt: number | undefined;
  let raw = '';
  const seen: string[] = [];
  const show = (now: number) => {
    const next = holdStatus(shown, raw, now);
    if (next.shown.text !== shown?.text) seen.push(next.shown.text);
    shown = next.shown;
    recheckAt = next.recheckInMs === undefined ? undefined : now + next.recheckInMs;
  };
  let i = 0;
  for (let now = 0; now <= until; now += 10) {
    while (i < events.length && events[i]![0] <= now) {
      raw = events[i]![1];
      i++;
      show(now);
    }
    if (recheckAt !== undefined && now >= recheckAt) show(now);
  }
  return seen;
}

describe('holdStatus [issue 13]', () => {
  it('shows "Saving…" once and "Saved" once for five seconds of typing acknowledged within 50 ms', () => {
    const events: [number, string][] = [[0, SAVED_TEXT]];
    for (let at = 100; at < 5_000; at += 100) events.push([at, SAVING_TEXT], [at + 50, SAVED_TEXT]);
    expect(shownTexts(events, 7_000)).toEqual([SAVED_TEXT, SAVING_TEXT, SAVED_TEXT]);
  });

  it('holds "Saving…" for the minimum time, then shows "Saved"', () => {
    const first = holdStatus(null, SAVING_TEXT, 1_000);
    const early = holdStatus(first.shown, SAVED_TEXT, 1_100);
    expect(early.shown.text).toBe(SAVING_TEXT);
    expect(early.recheckInMs).toBe(MIN_SAVING_MS - 100);
    expect(holdStatus(early.shown, SAVED_TEXT, 1_000 + MIN_SAVING_MS).shown.text).toBe(SAVED_TEXT);
  });

  it('waits for "Saved" to settle after a late acknowledgement', () => {
    const saving = holdStatus(null, SAVING_TEXT, 0).shown;
    const late = holdStatus(saving, SAVED_TEXT, 2_000);
    expect(late.shown.text).toBe(SAVING_TEXT);
    expect(late.recheckInMs).toBe(SETTLE_MS);
    expect(holdStatus(late.shown, SAVED_TEXT, 2_000 + SETTLE_MS).shown.text).toBe(SAVED_TEXT);
  });

  it('never holds back trouble: going offline shows at once', () => {
    const saving = holdStatus(null, SAVING_TEXT, 0).shown;
    expect(holdStatus(saving, 'Offline — 1 change will sync', 10).shown.text).toBe('Offline — 1 change will sync');
  });
});
