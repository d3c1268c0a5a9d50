/** The digest's pure parts: the retention floor as a uuid v7, and the email's text [C7]. */

import { v7 as uuidv7 } from 'uuid';
import { describe, expect, it } from 'vitest';
import { digestMail, uuidv7Floor } from './notification-digest.ts';

describe('notification digests [C7]', () => {
  it('the uuid v7 floor of a moment sorts below every id made then or later and above older ones', () => {
    const t = Date.UTC(2026, 11, 6, 12, 0, 0);
    const floor = uuidv7Floor(t);
    expect(floor).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7000-8000-000000000000$/);
    expect(uuidv7({ msecs: t }) >= floor).toBe(true);
    expect(uuidv7({ msecs: t + 1 }) > floor).toBe(true);
    expect(uuidv7({ msecs: t - 1 }) < floor).toBe(true);
  });

  it('one email lists every notification with its document link; names are text, never markup', () => {
    const mail = digestMail(
      'ann@example.test',
      [
        { kind: 'mention', title: 'Plan <b>', documentId: 'd1', threadId: 't1', actor: 'Bob', body: 'look\\nhere' },
        { kind: 'reply', title: 'Plan <b>', documentId: 'd1', threadId: 't1', actor: null, body: 'ok' },
      ],
      'https://docs.example.test',
    );
    expect(mail.subject).toBe('2 new comment notifications on Collab Docs');
    expect(mail.text).toContain('Bob mentioned you in “Plan <b>”');
    expect(mail.text).toContain('Someone replied in a thread you are part of');
    expect(mail.text).toContain('https://docs.example.test/d/d1?thread=t1');
  });
});
