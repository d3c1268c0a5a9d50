/**
 * What a new password must be: at least MIN_PASSWORD_LENGTH characters (the schema says so too)
 * and not one of the common passwords attackers try first — the list shipped with
 * `@zxcvbn-ts/language-common` (49,000 leaked passwords), compared case-insensitively.
 */
import { dictionary } from '@zxcvbn-ts/language-common';
import { Invalid } from '../../domain/errors.ts';
import { PASSWORD_MIN_LENGTH as MIN_PASSWORD_LENGTH } from '../../domain/limits.ts';

let common: Set<string> | undefined;
/** Built on first use: only entries long enough to pass the length rule can matter. */
function commonPasswords(): Set<string> {
  common ??= new Set(
    (dictionary['passwords-common'] as string[])
      .filter((p) => p.length >= MIN_PASSWORD_LENGTH)
      .map((p) => p.toLowerCase()),
  );
  return common;
}

/** Why `password` may not be used, or null. */
export function passwordProblem(password: string): string | null {
  if ([...password].length < MIN_PASSWORD_LENGTH) return `must NOT have fewer than ${MIN_PASSWORD_LENGTH} characters`;
  if (commonPasswords().has(password.normalize('NFKC').toLowerCase())) {
    return 'this password is too common (it is on the lists attackers try first); choose another';
  }
  return null;
}

/** Throws a 400 naming the field when the password may not be used. */
export function assertUsablePassword(password: string, field = '/password'): void {
  const problem = passwordProblem(password);
  if (problem) throw new Invalid(`${field.slice(1)} ${problem}`, [{ field, message: problem }]);
}
