/**
 * Length limits of user-given text, in characters. The API's schemas enforce them and the web
 * app imports the same constants for its form fields, so the two cannot drift apart.
 */
export const TITLE_MAX_LENGTH = 200;
/** A named version's name (docs/spec/history.md). */
export const VERSION_NAME_MAX_LENGTH = 120;
export const DISPLAY_NAME_MAX_LENGTH = 100;
export const WORKSPACE_NAME_MAX_LENGTH = 100;
export const SEARCH_QUERY_MAX_LENGTH = 200;
/** New passwords; sign-up also refuses common ones (src/app/auth/password-rules.ts). */
export const PASSWORD_MIN_LENGTH = 10;
export const PASSWORD_MAX_LENGTH = 256;
export const EMAIL_MAX_LENGTH = 254;
