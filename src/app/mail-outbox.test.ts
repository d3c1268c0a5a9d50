/** What mail logs may carry and what invitation emails say: the pure parts of the mail outbox and its texts. */
import { describe, expect, it } from 'vitest';
import { invitationMail } from './invitation-mail.ts';
import { loggableError, redactEmail } from './mail-outbox.ts';

describe('what mail logs may carry [M1]', () => {
  it('redacts a recipient to its first letter and domain', () => {
    expect(redactEmail('alice@example.com')).toBe('a***@example.com');
    expect(redactEmail('not-an-address')).toBe('***');
  });

  it('keeps an SMTP error’s code and reply but not the addresses it echoes, nor what nodemailer attaches', () => {
    const err = Object.assign(new Error("Can't send mail - all recipients were rejected: 550 <bob@example.org>: no"), {
      code: 'EENVELOPE',
      responseCode: 550,
      rejected: ['bob@example.org'],
    });
    const logged = loggableError(err);
    expect(logged).toEqual({
      message: "Can't send mail - all recipients were rejected: 550 <***@example.org>: no",
      code: 'EENVELOPE',
      responseCode: 550,
    });
    expect(JSON.stringify(logged)).not.toContain('bob@');
  });
});

describe('invitation emails', () => {
  const base = {
    to: 'kim@example.com',
    inviter: { displayName: 'Alice', email: 'alice@example.com' },
    link: 'https://docs.example.com/invite#token=abc',
    expiresAt: new Date('2030-01-08T10:00:00Z'),
  };

  it('a workspace invitation says who invites where, as what, that nothing changes until accepted, and until when', () => {
    const m = invitationMail({ ...base, kind: 'workspace', workspaceName: 'Acme', role: 'admin' });
    expect(m.subject).toBe('Alice invited you to “Acme” on Collab Docs');
    expect(m.text).toContain('Alice (alice@example.com) invited you to join the workspace “Acme” as an admin.');
    expect(m.text).toContain(base.link);
    expect(m.text).toContain('Nothing changes until you accept');
    expect(m.text).toContain('Tue, 08 Jan 2030 10:00:00 GMT');
  });

  it('a document share says what the person may do with it', () => {
    const m = invitationMail({ ...base, kind: 'document', documentTitle: 'Roadmap', role: 'commenter' });
    expect(m.subject).toBe('Alice shared “Roadmap” with you');
    expect(m.text).toContain('you can comment on it');
  });
});
