/**
 * Bad requests to the comment and notification routes (docs/spec/comments.md [C4]), spread into
 * test/bad-input.test.ts's table: each must be a precise 400 that writes nothing.
 */
import { COMMENT_MAX_LENGTH, COMMENT_MAX_MENTIONS, COMMENT_QUOTE_MAX_LENGTH } from '../../src/domain/comment-limits.ts';
import { API_PREFIX } from '../../src/http/server.ts';
import { documentStartAnchor } from './comment-fixtures.ts';

type Route = `${'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE'} ${string}`;
type CommentBadRequest = { name: string; route: Route; path?: string; query?: string; body?: unknown; field?: string };

const VALID_UUID = '0190a8f4-9d1c-7c3e-8a5b-2f1e3d4c5b6a';
const COMMENTS = `${API_PREFIX}/documents/{id}/comments`;
const THREAD = `${COMMENTS}/{threadId}`;
const REPLY = `${THREAD}/replies/{commentId}`;
const SETTINGS = `${API_PREFIX}/workspaces/{id}/settings`;
/** A thread path with ids that pass validation, so only the bad part fails. */
const thread = (rest = '') => `${API_PREFIX}/documents/{id}/comments/${VALID_UUID}${rest}`;
const reply = `${API_PREFIX}/documents/{id}/comments/${VALID_UUID}/replies/${VALID_UUID}`;
const anchor = documentStartAnchor();
const ok = { anchor, quote: '', body: 'fine' };

export const COMMENT_BAD_REQUESTS: CommentBadRequest[] = [
  // --- threads
  { name: 'status unknown', route: `GET ${COMMENTS}`, query: 'status=closed', field: 'querystring:/status' },
  { name: 'limit over 200', route: `GET ${COMMENTS}`, query: 'limit=201', field: 'querystring:/limit' },
  { name: 'cursor not a uuid', route: `GET ${COMMENTS}`, query: 'cursor=abc', field: 'querystring:/cursor' },
  { name: 'body missing', route: `POST ${COMMENTS}`, body: { anchor, quote: '' }, field: '/body' },
  { name: 'body empty', route: `POST ${COMMENTS}`, body: { ...ok, body: '' }, field: '/body' },
  {
    name: 'body over COMMENT_MAX_LENGTH',
    route: `POST ${COMMENTS}`,
    body: { ...ok, body: 'x'.repeat(COMMENT_MAX_LENGTH + 1) },
    field: '/body',
  },
  { name: 'body with NUL', route: `POST ${COMMENTS}`, body: { ...ok, body: 'a\u0000b' }, field: '/body' },
  {
    name: 'quote over COMMENT_QUOTE_MAX_LENGTH',
    route: `POST ${COMMENTS}`,
    body: { ...ok, quote: 'q'.repeat(COMMENT_QUOTE_MAX_LENGTH + 1) },
    field: '/quote',
  },
  { name: 'anchor missing', route: `POST ${COMMENTS}`, body: { quote: '', body: 'x' }, field: '/anchor' },
  {
    name: 'anchor not base64',
    route: `POST ${COMMENTS}`,
    body: { ...ok, anchor: { start: 'not base64!', end: anchor.end } },
    field: '/anchor/start',
  },
  {
    name: 'anchor not a relative position',
    route: `POST ${COMMENTS}`,
    body: { ...ok, anchor: { start: 'AAAA', end: 'AAAA' } },
    field: '/anchor',
  },
  {
    name: 'anchor with an unknown field',
    route: `POST ${COMMENTS}`,
    body: { ...ok, anchor: { ...anchor, index: 3 } },
    field: '/anchor/index',
  },
  {
    name: 'mention not a uuid',
    route: `POST ${COMMENTS}`,
    body: { ...ok, mentions: ['bob'] },
    field: '/mentions/0',
  },
  {
    name: 'too many mentions',
    route: `POST ${COMMENTS}`,
    body: { ...ok, mentions: Array.from({ length: COMMENT_MAX_MENTIONS + 1 }, () => VALID_UUID) },
    field: '/mentions',
  },
  {
    name: 'a stranger mentioned',
    route: `POST ${COMMENTS}`,
    body: { ...ok, mentions: [VALID_UUID] },
    field: '/mentions/0',
  },
  { name: 'invalid thread id', route: `DELETE ${THREAD}`, path: `${COMMENTS}/nope`, field: 'params:/threadId' },
  // --- replies and edits
  { name: 'reply without a body', route: `POST ${THREAD}/replies`, path: thread('/replies'), body: {}, field: '/body' },
  {
    name: 'reply with an unknown field',
    route: `POST ${THREAD}/replies`,
    path: thread('/replies'),
    body: { body: 'x', resolve: true },
    field: '/resolve',
  },
  { name: 'edit to an empty body', route: `PATCH ${REPLY}`, path: reply, body: { body: '' }, field: '/body' },
  {
    name: 'invalid comment id',
    route: `DELETE ${REPLY}`,
    path: `${API_PREFIX}/documents/{id}/comments/${VALID_UUID}/replies/1`,
    field: 'params:/commentId',
  },
  {
    name: 'invalid thread id',
    route: `POST ${THREAD}/resolve`,
    path: `${COMMENTS}/x/resolve`,
    field: 'params:/threadId',
  },
  {
    name: 'invalid thread id',
    route: `POST ${THREAD}/reopen`,
    path: `${COMMENTS}/x/reopen`,
    field: 'params:/threadId',
  },
  {
    name: 'q over 100 characters',
    route: `GET ${API_PREFIX}/documents/{id}/mentionable`,
    query: `q=${'a'.repeat(101)}`,
    field: 'querystring:/q',
  },
  // --- notifications
  {
    name: 'unread not a boolean',
    route: `GET ${API_PREFIX}/notifications`,
    query: 'unread=maybe',
    field: 'querystring:/unread',
  },
  { name: 'ids empty', route: `POST ${API_PREFIX}/notifications/read`, body: { ids: [] }, field: '/ids' },
  { name: 'ids not uuids', route: `POST ${API_PREFIX}/notifications/read`, body: { ids: ['1'] }, field: '/ids/0' },
  {
    name: 'email setting unknown',
    route: `PUT ${API_PREFIX}/me/notification-settings`,
    body: { email: 'hourly' },
    field: '/email',
  },
  // --- the workspace's viewer-browsing setting [C1] [V6]
  {
    name: 'workspace id not a uuid',
    route: `GET ${SETTINGS}`,
    path: `${API_PREFIX}/workspaces/not-a-uuid/settings`,
    field: 'params:/id',
  },
  { name: 'viewersBrowse missing', route: `PATCH ${SETTINGS}`, body: {}, field: '/viewersBrowse' },
  {
    name: 'viewersBrowse not a boolean',
    route: `PATCH ${SETTINGS}`,
    body: { viewersBrowse: 'yes' },
    field: '/viewersBrowse',
  },
  { name: 'an unknown setting', route: `PATCH ${SETTINGS}`, body: { viewersBrowse: true, viewersEdit: true } },
];

/** Tables the comment routes write, for the "nothing was written" check. */
export const COMMENT_TABLES = ['comment_threads', 'comments', 'notifications', 'notification_settings'] as const;
