/**
 * Secrets carried by emailed links (password resets, invitations, invite links): 32 random bytes
 * in base64url, stored only as their sha256, so a database leak yields no usable link.
 */
import { createHash, randomBytes } from 'node:crypto';

export const newLinkToken = (): string => randomBytes(32).toString('base64url');
export const hashLinkToken = (token: string): Buffer => createHash('sha256').update(token).digest();

/**
 * The token travels in the URL fragment (`#token=`), which browsers never send to servers nor in
 * a Referer: it cannot reach request logs or third parties; the page posts it to the API.
 */
export const linkWithToken = (publicUrl: string, path: string, token: string): string =>
  `${publicUrl.replace(/\/+$/, '')}${path}#token=${token}`;
