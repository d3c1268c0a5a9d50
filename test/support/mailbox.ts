/**
 * Reads what the embedded mailer wrote (`.eml` files under DATA_DIR/mail), parsed with
 * mailparser as a mail client would, and finds the one-time link in a message.
 */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { simpleParser } from 'mailparser';
import { waitFor } from './wait.ts';

export type ReceivedMail = { file: string; to: string[]; from: string; subject: string; text: string };

export async function readMailbox(dataDir: string): Promise<ReceivedMail[]> {
  const dir = join(dataDir, 'mail');
  const files = (await readdir(dir).catch(() => [] as string[])).filter((f) => f.endsWith('.eml')).sort();
  return Promise.all(
    files.map(async (name) => {
      const file = join(dir, name);
      return { file, ...(await parseMail(await readFile(file))) };
    }),
  );
}

/** Parses one RFC 5322 message: recipients, sender, subject and plain text. */
export async function parseMail(raw: Buffer | string): Promise<Omit<ReceivedMail, 'file'>> {
  const parsed = await simpleParser(raw);
  const addresses = (field: typeof parsed.to) =>
    (Array.isArray(field) ? field : field ? [field] : []).flatMap((a) => a.value.map((v) => v.address ?? ''));
  return {
    to: addresses(parsed.to),
    from: parsed.from?.text ?? '',
    subject: parsed.subject ?? '',
    text: parsed.text ?? '',
  };
}

/** Waits until a message to `to` (and matching `subject`, if given) is in the mailbox. */
export async function waitForMail(dataDir: string, to: string, subject?: RegExp): Promise<ReceivedMail> {
  let found: ReceivedMail | undefined;
  await waitFor(`mail to ${to}`, async () => {
    const mails = await readMailbox(dataDir);
    found = mails.findLast(
      (m) => m.to.some((a) => a.toLowerCase() === to.toLowerCase()) && (!subject || subject.test(m.subject)),
    );
    return found !== undefined;
  });
  return found as ReceivedMail;
}

/** The link with a token in a message's text. */
export function linkIn(text: string): string {
  const link = text.match(/https?:\/\/\S+#token=[A-Za-z0-9_-]+/)?.[0];
  if (!link) throw new Error(`no link with a token in: ${text}`);
  return link;
}
