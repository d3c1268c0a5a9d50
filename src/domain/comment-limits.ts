/**
 * Limits of comments and mentions (docs/spec/comments.md [C4]): the API's schemas enforce them and
 * the web app imports the same constants, so the two cannot drift apart.
 */
/** One comment's text, in characters. */
export const COMMENT_MAX_LENGTH = 10_000;
/** The quoted text a thread keeps of its selection (the web app cuts longer selections). */
export const COMMENT_QUOTE_MAX_LENGTH = 500;
/** People mentioned in one comment. */
export const COMMENT_MAX_MENTIONS = 20;
/** A base64 Yjs relative position (a few dozen bytes in practice). */
export const ANCHOR_MAX_LENGTH = 512;
/** Comments in one thread (the first one included). */
export const COMMENTS_PER_THREAD_MAX = 500;
/** Threads on one document, open or resolved. */
export const THREADS_PER_DOCUMENT_MAX = 5_000;
