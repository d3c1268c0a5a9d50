/**
 * Every body, path parameter and query string is schema-validated: bad input gets a precise 4xx
 * problem+json naming the offending field, and nothing is written.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PROBLEM_TYPE_BASE } from '../src/http/problem.ts';
import { API_PREFIX } from '../src/http/server.ts';
import { backends } from './support/backends.ts';
import { COMMENT_BAD_REQUESTS, COMMENT_TABLES } from './support/comment-bad-requests.ts';
import { IMAGE_BAD_REQUESTS } from './support/image-bad-requests.ts';
import { startTestApp, TEST_PASSWORD, type TestApp, type TestSession } from './support/test-app.ts';

type Method = 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE';
/** An OpenAPI-style route key, e.g. `PATCH /api/v1/documents/{id}`. */
type Route = `${Method} ${string}`;

type BadRequest = {
  /** What is wrong with the request. */
  name: string;
  route: Route;
  /** The concrete path when it differs from the route with valid ids filled in (e.g. a bad uuid). */
  path?: string;
  query?: string;
  /** Sent as JSON unless `raw` is given. */
  body?: unknown;
  raw?: string;
  contentType?: string;
  /** Defaults to 400. */
  status?: number;
  /** The `errors[].field` that must name the problem (also mentioned in `detail`). */
  field?: string;
  /** Sent with the operator token instead of the owner's access token (the operator API). */
  operator?: true;
};

const WORKSPACES = `POST ${API_PREFIX}/workspaces` as const;
const WORKSPACE = `${API_PREFIX}/workspaces/{id}`;
const MEMBERS = `${API_PREFIX}/workspaces/{id}/members`;
const MEMBER = `${API_PREFIX}/workspaces/{id}/members/{userId}`;
const WS_DOCUMENTS = `${API_PREFIX}/workspaces/{id}/documents`;
const WS_IMPORT = `${API_PREFIX}/workspaces/{id}/documents/import`;
const DOCUMENT = `${API_PREFIX}/documents/{id}`;
const MY_DOCUMENTS = `${API_PREFIX}/documents`;
const STAR = `${API_PREFIX}/documents/{id}/star`;
const TRASH = `${API_PREFIX}/trash`;
const TRASHED = `${API_PREFIX}/trash/{id}`;
const RESTORE = `${API_PREFIX}/trash/{id}/restore`;
const SHARES = `${API_PREFIX}/documents/{id}/shares`;
const SHARE = `${API_PREFIX}/documents/{id}/shares/{userId}`;
const GENERAL_ACCESS = `${API_PREFIX}/documents/{id}/general-access`;
const OWNER = `${API_PREFIX}/documents/{id}/owner`;
const PRIMARY_OWNER = `${API_PREFIX}/workspaces/{id}/primary-owner`;
const ME = `${API_PREFIX}/me`;
const MY_SESSION = `${API_PREFIX}/me/sessions/{id}`;
const MY_INVITATION = `${API_PREFIX}/me/invitations/{id}`;
const SEARCH = `${API_PREFIX}/search`;
const EXPORT_JOB = `${API_PREFIX}/exports/{jobId}`;
const DEAD_EXPORTS = `${API_PREFIX}/admin/exports/dead`;
const OPERATOR_PLAN = `${API_PREFIX}/admin/workspaces/{id}/plan`;
const SIGNUP = `POST ${API_PREFIX}/auth/signup` as const;
const LOGIN = `POST ${API_PREFIX}/auth/login` as const;
const REFRESH = `POST ${API_PREFIX}/auth/refresh` as const;
const LOGOUT = `POST ${API_PREFIX}/auth/logout` as const;
const PROFILE = `GET ${API_PREFIX}/operator/profile` as const;
const PASSWORD_RESET = `POST ${API_PREFIX}/auth/password-reset` as const;
const PASSWORD_RESET_CONFIRM = `POST ${API_PREFIX}/auth/password-reset/confirm` as const;
const EMAIL_CHANGE_CONFIRM = `POST ${API_PREFIX}/auth/email-change/confirm` as const;
const INVITATION_PREVIEW = `POST ${API_PREFIX}/invitations/preview` as const;
const INVITATION_ACCEPT = `POST ${API_PREFIX}/invitations/accept` as const;
const WS_INVITATIONS = `${API_PREFIX}/workspaces/{id}/invitations`;
const WS_INVITATION = `${API_PREFIX}/workspaces/{id}/invitations/{invitationId}`;
const DOC_INVITATIONS = `${API_PREFIX}/documents/{id}/invitations`;
const DOC_INVITATION = `${API_PREFIX}/documents/{id}/invitations/{invitationId}`;
const INVITE_LINKS = `${API_PREFIX}/workspaces/{id}/invite-links`;
const INVITE_LINK = `${API_PREFIX}/workspaces/{id}/invite-links/{linkId}`;
const LINK_TOKEN = 't'.repeat(43);
const OPERATOR_TOKEN = 'o'.repeat(40);

const NOT_A_UUID = 'not-a-uuid';
const NIL_LIKE = '00000000-0000-0000-0000-00000000000g';
const long = (n: number) => 'x'.repeat(n);
const cursorOf = (text: string) => Buffer.from(text).toString('base64url');
const VALID_UUID = '0190a8f4-9d1c-7c3e-8a5b-2f1e3d4c5b6a';

const signup = { email: 'new-user@example.test', password: TEST_PASSWORD, displayName: 'New User' };
const refreshToken = 'r'.repeat(43);

/** Bad requests to the version-history routes: ids, paging, formats and names [V2] [V7]. */
function versionHistoryCases(): BadRequest[] {
  const VERSIONS = `${API_PREFIX}/documents/{id}/versions`;
  const VERSION = `${VERSIONS}/{versionId}`;
  const at = (suffix: string) => `${API_PREFIX}/documents/{id}/versions${suffix}`;
  return [
    {
      name: 'invalid uuid',
      route: `GET ${VERSIONS}`,
      path: `${API_PREFIX}/documents/${NOT_A_UUID}/versions`,
      field: 'params:/id',
    },
    { name: 'limit 0', route: `GET ${VERSIONS}`, query: 'limit=0', field: 'querystring:/limit' },
    {
      name: 'a forged cursor',
      route: `GET ${VERSIONS}`,
      query: `cursor=${cursorOf('version|yesterday|x')}`,
      field: '/cursor',
    },
    {
      name: 'a cursor of another list',
      route: `GET ${VERSIONS}`,
      query: `cursor=${cursorOf(`trashed|2026-01-01T00:00:00.000000Z|${VALID_UUID}`)}`,
      field: '/cursor',
    },
    { name: 'an empty name', route: `POST ${VERSIONS}`, body: { name: '' }, field: '/name' },
    { name: 'a blank name', route: `POST ${VERSIONS}`, body: { name: '   ' }, field: '/name' },
    { name: 'a name over 120 characters', route: `POST ${VERSIONS}`, body: { name: long(121) }, field: '/name' },
    { name: 'a NUL in the name', route: `POST ${VERSIONS}`, body: { name: 'a\u0000b' }, field: '/name' },
    { name: 'an unknown field', route: `POST ${VERSIONS}`, body: { name: 'n', state: 'AAA=' }, field: '/state' },
    { name: 'no body', route: `POST ${VERSIONS}` },
    { name: 'invalid version uuid', route: `GET ${VERSION}`, path: at(`/${NOT_A_UUID}`), field: 'params:/versionId' },
    {
      name: 'format not in the enum',
      route: `GET ${VERSION}`,
      path: at(`/${VALID_UUID}?format=docx`),
      field: 'querystring:/format',
    },
    {
      name: 'invalid version uuid',
      route: `GET ${VERSION}/changes`,
      path: at(`/${NIL_LIKE}/changes`),
      field: 'params:/versionId',
    },
    {
      name: 'invalid version uuid',
      route: `POST ${VERSION}/restore`,
      path: at(`/${NOT_A_UUID}/restore`),
      field: 'params:/versionId',
    },
    {
      name: 'a version of another document',
      route: `POST ${VERSION}/restore`,
      path: at(`/${VALID_UUID}/restore`),
      status: 404,
    },
  ];
}

const BAD_REQUESTS: BadRequest[] = [
  // --- sign up
  { name: 'email is a number', route: SIGNUP, body: { ...signup, email: 42 }, field: '/email' },
  { name: 'email is not an email', route: SIGNUP, body: { ...signup, email: 'not-an-email' }, field: '/email' },
  { name: 'email over 254 chars', route: SIGNUP, body: { ...signup, email: `${long(250)}@ex.test` }, field: '/email' },
  { name: 'password missing', route: SIGNUP, body: { email: signup.email, displayName: 'x' }, field: '/password' },
  { name: 'password too short', route: SIGNUP, body: { ...signup, password: 'short' }, field: '/password' },
  { name: 'password over 256 chars', route: SIGNUP, body: { ...signup, password: long(257) }, field: '/password' },
  { name: 'password is null', route: SIGNUP, body: { ...signup, password: null }, field: '/password' },
  { name: 'displayName is an array', route: SIGNUP, body: { ...signup, displayName: ['a'] }, field: '/displayName' },
  { name: 'displayName empty', route: SIGNUP, body: { ...signup, displayName: '' }, field: '/displayName' },
  { name: 'displayName over 100', route: SIGNUP, body: { ...signup, displayName: long(101) }, field: '/displayName' },
  { name: 'displayName has a NUL', route: SIGNUP, body: { ...signup, displayName: 'a\u0000' }, field: '/displayName' },
  { name: 'an unknown field', route: SIGNUP, body: { ...signup, isAdmin: true }, field: '/isAdmin' },
  { name: 'body is an array', route: SIGNUP, body: [signup], field: '/' },
  { name: 'body is null', route: SIGNUP, raw: 'null', field: '/' },
  { name: 'body is a string', route: SIGNUP, raw: '"hello"', field: '/' },
  // --- log in, refresh, log out
  { name: 'email missing', route: LOGIN, body: { password: TEST_PASSWORD }, field: '/email' },
  { name: 'password is a number', route: LOGIN, body: { email: signup.email, password: 12345678 }, field: '/password' },
  { name: 'password empty', route: LOGIN, body: { email: signup.email, password: '' }, field: '/password' },
  { name: 'password over 256', route: LOGIN, body: { email: signup.email, password: long(257) }, field: '/password' },
  { name: 'an unknown field', route: LOGIN, body: { email: signup.email, password: 'x', otp: '1' }, field: '/otp' },
  { name: 'refreshToken missing', route: REFRESH, body: {}, field: '/refreshToken' },
  { name: 'refreshToken too short', route: REFRESH, body: { refreshToken: 'short' }, field: '/refreshToken' },
  { name: 'refreshToken over 200', route: REFRESH, body: { refreshToken: long(201) }, field: '/refreshToken' },
  { name: 'refreshToken is a number', route: REFRESH, body: { refreshToken: 1e30 }, field: '/refreshToken' },
  { name: 'an unknown field', route: LOGOUT, body: { refreshToken, everywhere: true }, field: '/everywhere' },
  { name: 'refreshToken is an object', route: LOGOUT, body: { refreshToken: { $ne: '' } }, field: '/refreshToken' },
  // --- workspaces
  { name: 'name missing', route: WORKSPACES, body: {}, field: '/name' },
  { name: 'name is a number', route: WORKSPACES, body: { name: 7 }, field: '/name' },
  { name: 'name empty', route: WORKSPACES, body: { name: '' }, field: '/name' },
  { name: 'name over 100', route: WORKSPACES, body: { name: long(101) }, field: '/name' },
  { name: 'name contains a NUL byte', route: WORKSPACES, body: { name: 'a\u0000b' }, field: '/name' },
  { name: 'a plan (operators set plans)', route: WORKSPACES, body: { name: 'W', plan: 'enterprise' }, field: '/plan' },
  {
    name: 'an unknown field',
    route: WORKSPACES,
    body: { name: 'W', rateLimitPerSecond: 1e9 },
    field: '/rateLimitPerSecond',
  },
  {
    name: 'invalid uuid',
    route: `GET ${WORKSPACE}`,
    path: `${API_PREFIX}/workspaces/${NOT_A_UUID}`,
    field: 'params:/id',
  },
  { name: 'empty body', route: `PATCH ${WORKSPACE}`, body: {}, field: '/name' },
  { name: 'name is null', route: `PATCH ${WORKSPACE}`, body: { name: null }, field: '/name' },
  { name: 'name over 100', route: `PATCH ${WORKSPACE}`, body: { name: long(101) }, field: '/name' },
  { name: 'a plan (operators set plans)', route: `PATCH ${WORKSPACE}`, body: { plan: 'business' }, field: '/plan' },
  { name: 'name missing', route: `PATCH ${WORKSPACE}`, body: { plan: 'FREE' }, field: '/name' },
  {
    name: 'an unknown field',
    route: `PATCH ${WORKSPACE}`,
    body: { name: 'W', createdBy: VALID_UUID },
    field: '/createdBy',
  },
  {
    name: 'invalid uuid',
    route: `PATCH ${WORKSPACE}`,
    path: `${API_PREFIX}/workspaces/${NIL_LIKE}`,
    body: { name: 'W' },
    field: 'params:/id',
  },
  { name: 'invalid uuid', route: `DELETE ${WORKSPACE}`, path: `${API_PREFIX}/workspaces/1`, field: 'params:/id' },
  // --- members
  {
    name: 'invalid uuid',
    route: `GET ${MEMBERS}`,
    path: `${API_PREFIX}/workspaces/${NOT_A_UUID}/members`,
    field: 'params:/id',
  },
  { name: 'role missing', route: `POST ${MEMBERS}`, body: { email: 'x@example.test' }, field: '/role' },
  {
    name: 'role not in the enum',
    route: `POST ${MEMBERS}`,
    body: { email: 'x@example.test', role: 'root' },
    field: '/role',
  },
  { name: 'email is not an email', route: `POST ${MEMBERS}`, body: { email: 'bob', role: 'member' }, field: '/email' },
  {
    name: 'an unknown field',
    route: `POST ${MEMBERS}`,
    body: { email: 'x@example.test', role: 'member', userId: VALID_UUID },
    field: '/userId',
  },
  { name: 'role is a number', route: `PATCH ${MEMBER}`, body: { role: 1 }, field: '/role' },
  { name: 'role not in the enum', route: `PATCH ${MEMBER}`, body: { role: 'superuser' }, field: '/role' },
  { name: 'empty body', route: `PATCH ${MEMBER}`, body: {}, field: '/role' },
  {
    name: 'invalid user uuid',
    route: `PATCH ${MEMBER}`,
    path: `${API_PREFIX}/workspaces/{id}/members/${NOT_A_UUID}`,
    body: { role: 'admin' },
    field: 'params:/userId',
  },
  {
    name: 'invalid user uuid',
    route: `DELETE ${MEMBER}`,
    path: `${API_PREFIX}/workspaces/{id}/members/${NOT_A_UUID}`,
    field: 'params:/userId',
  },
  // --- documents
  { name: 'title is a number', route: `POST ${WS_DOCUMENTS}`, body: { title: 42 }, field: '/title' },
  { name: 'title over 200', route: `POST ${WS_DOCUMENTS}`, body: { title: long(201) }, field: '/title' },
  { name: 'an unknown field', route: `POST ${WS_DOCUMENTS}`, body: { title: 'T', content: 'x' }, field: '/content' },
  {
    name: 'invalid workspace uuid',
    route: `POST ${WS_DOCUMENTS}`,
    path: `${API_PREFIX}/workspaces/${NOT_A_UUID}/documents`,
    body: { title: 'T' },
    field: 'params:/id',
  },
  {
    name: 'no file name',
    route: `POST ${WS_IMPORT}`,
    raw: '# x',
    contentType: 'text/markdown',
    field: 'querystring:/name',
  },
  {
    name: 'a file name with a slash',
    route: `POST ${WS_IMPORT}`,
    query: 'name=a%2Fb.md',
    raw: '# x',
    contentType: 'text/markdown',
    field: 'querystring:/name',
  },
  {
    name: 'an unknown format',
    route: `POST ${WS_IMPORT}`,
    query: 'name=a.md&format=pdf',
    raw: '# x',
    field: 'querystring:/format',
  },
  { name: 'an unknown file type', route: `POST ${WS_IMPORT}`, query: 'name=a.pdf', raw: '%PDF-1.7', status: 415 },
  {
    name: 'a .docx that is not a Word file',
    route: `POST ${WS_IMPORT}`,
    query: 'name=a.docx',
    raw: 'not a zip',
    contentType: 'application/octet-stream',
    status: 422,
  },
  { name: 'limit is not a number', route: `GET ${WS_DOCUMENTS}`, query: 'limit=abc', field: 'querystring:/limit' },
  { name: 'limit is 0', route: `GET ${WS_DOCUMENTS}`, query: 'limit=0', field: 'querystring:/limit' },
  { name: 'limit over 100', route: `GET ${WS_DOCUMENTS}`, query: 'limit=101', field: 'querystring:/limit' },
  { name: 'limit is negative', route: `GET ${WS_DOCUMENTS}`, query: 'limit=-1', field: 'querystring:/limit' },
  { name: 'limit is fractional', route: `GET ${WS_DOCUMENTS}`, query: 'limit=1.5', field: 'querystring:/limit' },
  { name: 'limit is empty', route: `GET ${WS_DOCUMENTS}`, query: 'limit=', field: 'querystring:/limit' },
  { name: 'limit given twice', route: `GET ${WS_DOCUMENTS}`, query: 'limit=1&limit=2', field: 'querystring:/limit' },
  {
    name: 'cursor over 2000',
    route: `GET ${WS_DOCUMENTS}`,
    query: `cursor=${long(2001)}`,
    field: 'querystring:/cursor',
  },
  {
    name: 'cursor given twice',
    route: `GET ${WS_DOCUMENTS}`,
    query: 'cursor=a&cursor=b',
    field: 'querystring:/cursor',
  },
  { name: 'an unknown query field', route: `GET ${WS_DOCUMENTS}`, query: 'sort=title', field: 'querystring:/sort' },
  { name: 'garbage cursor', route: `GET ${WS_DOCUMENTS}`, query: 'cursor=garbage', field: '/cursor' },
  {
    name: 'cursor with a bad id',
    route: `GET ${WS_DOCUMENTS}`,
    query: `cursor=${cursorOf("2024-01-01T00:00:00.000Z|' or 1=1 --")}`,
    field: '/cursor',
  },
  {
    name: 'cursor whose id only looks like a uuid',
    route: `GET ${WS_DOCUMENTS}`,
    query: `cursor=${cursorOf(`2024-01-01T00:00:00.000Z|${'-'.repeat(36)}`)}`,
    field: '/cursor',
  },
  {
    name: 'cursor with a date no database can store',
    route: `GET ${WS_DOCUMENTS}`,
    query: `cursor=${cursorOf(`-100000-01-01T00:00:00.000Z|${VALID_UUID}`)}`,
    field: '/cursor',
  },
  { name: 'order not in the enum', route: `GET ${WS_DOCUMENTS}`, query: 'order=alpha', field: 'querystring:/order' },
  { name: 'owner is not a uuid', route: `GET ${WS_DOCUMENTS}`, query: 'owner=me', field: 'querystring:/owner' },
  {
    name: 'starred is not a boolean',
    route: `GET ${WS_DOCUMENTS}`,
    query: 'starred=maybe',
    field: 'querystring:/starred',
  },
  {
    name: 'a title cursor with a title over 200 characters [H2]',
    route: `GET ${WS_DOCUMENTS}`,
    query: `order=title&cursor=${cursorOf(JSON.stringify(['title', long(201), VALID_UUID]))}`,
    field: '/cursor',
  },
  {
    name: 'a title cursor with order=created [H2]',
    route: `GET ${WS_DOCUMENTS}`,
    query: `cursor=${cursorOf(JSON.stringify(['title', 'a', VALID_UUID]))}`,
    field: '/cursor',
  },
  { name: 'limit is 0', route: `GET ${MY_DOCUMENTS}`, query: 'limit=0', field: 'querystring:/limit' },
  { name: 'order not in the enum', route: `GET ${MY_DOCUMENTS}`, query: 'order=rank', field: 'querystring:/order' },
  {
    name: 'sharedWithMe is not a boolean',
    route: `GET ${MY_DOCUMENTS}`,
    query: 'sharedWithMe=perhaps',
    field: 'querystring:/sharedWithMe',
  },
  {
    name: 'an unknown query field',
    route: `GET ${MY_DOCUMENTS}`,
    query: 'workspace=1',
    field: 'querystring:/workspace',
  },
  {
    name: 'an update-order cursor with order=opened [H2]',
    route: `GET ${MY_DOCUMENTS}`,
    query: `order=opened&cursor=${cursorOf(`updated|2024-01-01T00:00:00.000000Z|${VALID_UUID}`)}`,
    field: '/cursor',
  },
  {
    name: 'a title cursor that is not JSON [H2]',
    route: `GET ${MY_DOCUMENTS}`,
    query: `order=title&cursor=${cursorOf('["title", "a"')}`,
    field: '/cursor',
  },
  { name: 'invalid uuid', route: `PUT ${STAR}`, path: `${API_PREFIX}/documents/x/star`, field: 'params:/id' },
  { name: 'invalid uuid', route: `DELETE ${STAR}`, path: `${API_PREFIX}/documents/x/star`, field: 'params:/id' },
  { name: 'limit over 100', route: `GET ${TRASH}`, query: 'limit=101', field: 'querystring:/limit' },
  {
    name: 'workspaceId is not a uuid',
    route: `GET ${TRASH}`,
    query: 'workspaceId=1',
    field: 'querystring:/workspaceId',
  },
  { name: 'garbage cursor [T2]', route: `GET ${TRASH}`, query: 'cursor=garbage', field: '/cursor' },
  {
    name: 'an update-order cursor [T2]',
    route: `GET ${TRASH}`,
    query: `cursor=${cursorOf(`updated|2024-01-01T00:00:00.000000Z|${VALID_UUID}`)}`,
    field: '/cursor',
  },
  { name: 'invalid uuid', route: `POST ${RESTORE}`, path: `${API_PREFIX}/trash/1/restore`, field: 'params:/id' },
  { name: 'invalid uuid', route: `DELETE ${TRASHED}`, path: `${API_PREFIX}/trash/1`, field: 'params:/id' },
  {
    name: 'order given twice',
    route: `GET ${WS_DOCUMENTS}`,
    query: 'order=updated&order=created',
    field: 'querystring:/order',
  },
  {
    name: 'a creation-order cursor with order=updated',
    route: `GET ${WS_DOCUMENTS}`,
    query: `order=updated&cursor=${cursorOf(`2024-01-01T00:00:00.000Z|${VALID_UUID}`)}`,
    field: '/cursor',
  },
  {
    name: 'an update-order cursor without order=updated',
    route: `GET ${WS_DOCUMENTS}`,
    query: `cursor=${cursorOf(`updated|2024-01-01T00:00:00.000000Z|${VALID_UUID}`)}`,
    field: '/cursor',
  },
  {
    name: 'an update-order cursor with a day no calendar has',
    route: `GET ${WS_DOCUMENTS}`,
    query: `order=updated&cursor=${cursorOf(`updated|2024-02-30T00:00:00.000000Z|${VALID_UUID}`)}`,
    field: '/cursor',
  },
  {
    name: 'an update-order cursor with year 0',
    route: `GET ${WS_DOCUMENTS}`,
    query: `order=updated&cursor=${cursorOf(`updated|0000-01-01T00:00:00.000000Z|${VALID_UUID}`)}`,
    field: '/cursor',
  },
  {
    name: 'an update-order cursor with SQL in its id',
    route: `GET ${WS_DOCUMENTS}`,
    query: `order=updated&cursor=${cursorOf("updated|2024-01-01T00:00:00.000000Z|' or 1=1 --")}`,
    field: '/cursor',
  },
  { name: 'invalid uuid', route: `GET ${DOCUMENT}`, path: `${API_PREFIX}/documents/12345`, field: 'params:/id' },
  {
    name: 'uuid as a URN',
    route: `GET ${DOCUMENT}`,
    path: `${API_PREFIX}/documents/urn:uuid:${VALID_UUID}`,
    field: 'params:/id',
  },
  { name: 'title missing (empty body)', route: `PATCH ${DOCUMENT}`, body: {}, field: '/title' },
  { name: 'title is null', route: `PATCH ${DOCUMENT}`, body: { title: null }, field: '/title' },
  { name: 'title is an array', route: `PATCH ${DOCUMENT}`, body: { title: ['T'] }, field: '/title' },
  { name: 'title over 200', route: `PATCH ${DOCUMENT}`, body: { title: long(201) }, field: '/title' },
  { name: 'title contains a NUL byte', route: `PATCH ${DOCUMENT}`, body: { title: '\u0000' }, field: '/title' },
  {
    name: 'an unknown field',
    route: `PATCH ${DOCUMENT}`,
    body: { title: 'T', workspaceId: VALID_UUID },
    field: '/workspaceId',
  },
  {
    name: 'invalid uuid',
    route: `DELETE ${DOCUMENT}`,
    path: `${API_PREFIX}/documents/${NOT_A_UUID}`,
    field: 'params:/id',
  },
  // --- content
  {
    name: 'format not in the enum',
    route: `GET ${DOCUMENT}/content`,
    path: `${API_PREFIX}/documents/{id}/content?format=pdf`,
    field: 'querystring:/format',
  },
  {
    name: 'an unknown query parameter',
    route: `GET ${DOCUMENT}/content`,
    path: `${API_PREFIX}/documents/{id}/content?format=json&raw=1`,
    field: 'querystring:/raw',
  },
  {
    name: 'invalid uuid',
    route: `GET ${DOCUMENT}/content`,
    path: `${API_PREFIX}/documents/${NOT_A_UUID}/content`,
    field: 'params:/id',
  },
  // --- version history (docs/spec/history.md)
  ...versionHistoryCases(),
  // --- shares
  {
    name: 'invalid uuid',
    route: `GET ${SHARES}`,
    path: `${API_PREFIX}/documents/${NOT_A_UUID}/shares`,
    field: 'params:/id',
  },
  { name: 'email missing', route: `POST ${SHARES}`, body: { role: 'viewer' }, field: '/email' },
  { name: 'email is not an email', route: `POST ${SHARES}`, body: { email: 'bob', role: 'viewer' }, field: '/email' },
  {
    name: 'role not in the enum',
    route: `POST ${SHARES}`,
    body: { email: 'x@example.test', role: 'owner' },
    field: '/role',
  },
  {
    name: 'an unknown field',
    route: `POST ${SHARES}`,
    body: { email: 'x@example.test', role: 'viewer', userId: VALID_UUID },
    field: '/userId',
  },
  {
    name: 'invalid uuid',
    route: `POST ${SHARES}`,
    path: `${API_PREFIX}/documents/${NOT_A_UUID}/shares`,
    body: { email: 'x@example.test', role: 'viewer' },
    field: 'params:/id',
  },
  { name: 'role not in the enum', route: `PUT ${SHARE}`, body: { role: 'owner' }, field: '/role' },
  { name: 'role missing', route: `PUT ${SHARE}`, body: {}, field: '/role' },
  { name: 'an unknown field', route: `PUT ${SHARE}`, body: { role: 'editor', notify: true }, field: '/notify' },
  {
    name: 'invalid user uuid',
    route: `PUT ${SHARE}`,
    path: `${API_PREFIX}/documents/{id}/shares/${NOT_A_UUID}`,
    body: { role: 'editor' },
    field: 'params:/userId',
  },
  {
    name: 'invalid user uuid',
    route: `DELETE ${SHARE}`,
    path: `${API_PREFIX}/documents/{id}/shares/${NOT_A_UUID}`,
    field: 'params:/userId',
  },
  // --- general access and ownership [P7] [P8]
  {
    name: 'a setting not in the enum',
    route: `PUT ${GENERAL_ACCESS}`,
    body: { generalAccess: 'public' },
    field: '/generalAccess',
  },
  {
    name: 'a share role instead of a setting',
    route: `PUT ${GENERAL_ACCESS}`,
    body: { generalAccess: 'editor' },
    field: '/generalAccess',
  },
  { name: 'setting missing', route: `PUT ${GENERAL_ACCESS}`, body: {}, field: '/generalAccess' },
  {
    name: 'an unknown field',
    route: `PUT ${GENERAL_ACCESS}`,
    body: { generalAccess: 'view', notify: true },
    field: '/notify',
  },
  {
    name: 'invalid document uuid',
    route: `PUT ${GENERAL_ACCESS}`,
    path: `${API_PREFIX}/documents/${NOT_A_UUID}/general-access`,
    body: { generalAccess: 'view' },
    field: 'params:/id',
  },
  { name: 'userId not a uuid', route: `PUT ${OWNER}`, body: { userId: NOT_A_UUID }, field: '/userId' },
  { name: 'userId missing', route: `PUT ${OWNER}`, body: {}, field: '/userId' },
  {
    name: 'an unknown field',
    route: `PUT ${OWNER}`,
    body: { userId: VALID_UUID, keepShare: false },
    field: '/keepShare',
  },
  {
    name: 'invalid document uuid',
    route: `PUT ${OWNER}`,
    path: `${API_PREFIX}/documents/${NOT_A_UUID}/owner`,
    body: { userId: VALID_UUID },
    field: 'params:/id',
  },
  {
    name: 'the new owner is no member of the workspace',
    route: `PUT ${OWNER}`,
    body: { userId: VALID_UUID },
    status: 422,
  },
  { name: 'userId not a uuid', route: `PUT ${PRIMARY_OWNER}`, body: { userId: NOT_A_UUID }, field: '/userId' },
  { name: 'userId missing', route: `PUT ${PRIMARY_OWNER}`, body: {}, field: '/userId' },
  {
    name: 'invalid workspace uuid',
    route: `PUT ${PRIMARY_OWNER}`,
    path: `${API_PREFIX}/workspaces/${NOT_A_UUID}/primary-owner`,
    body: { userId: VALID_UUID },
    field: 'params:/id',
  },
  {
    name: 'the new primary owner is no member',
    route: `PUT ${PRIMARY_OWNER}`,
    body: { userId: VALID_UUID },
    status: 422,
  },
  // --- the account's own settings and sessions [A9]
  { name: 'displayName empty', route: `PATCH ${ME}`, body: { displayName: '' }, field: '/displayName' },
  { name: 'displayName not a string', route: `PATCH ${ME}`, body: { displayName: 7 }, field: '/displayName' },
  { name: 'displayName with NUL', route: `PATCH ${ME}`, body: { displayName: 'a\u0000b' }, field: '/displayName' },
  {
    name: 'an unknown field',
    route: `PATCH ${ME}`,
    body: { displayName: 'A', email: 'x@example.test' },
    field: '/email',
  },
  {
    name: 'invalid session uuid',
    route: `DELETE ${MY_SESSION}`,
    path: `${API_PREFIX}/me/sessions/${NOT_A_UUID}`,
    field: 'params:/id',
  },
  {
    name: 'a session that is not the caller’s',
    route: `DELETE ${MY_SESSION}`,
    path: `${API_PREFIX}/me/sessions/${VALID_UUID}`,
    status: 404,
  },
  // --- password, email and account deletion [A10] [A11] [A12]: none of these reaches the password check
  {
    name: 'a new password under 10 characters',
    route: `PUT ${ME}/password`,
    body: { currentPassword: 'whatever', newPassword: 'short' },
    field: '/newPassword',
  },
  {
    name: 'no current password',
    route: `PUT ${ME}/password`,
    body: { newPassword: 'long enough passphrase' },
    field: '/currentPassword',
  },
  {
    name: 'an unknown field',
    route: `PUT ${ME}/password`,
    body: { currentPassword: 'x', newPassword: 'long enough passphrase', confirm: 'x' },
    field: '/confirm',
  },
  {
    name: 'email not an email',
    route: `POST ${ME}/email`,
    body: { currentPassword: 'x', email: 'nope' },
    field: '/email',
  },
  {
    name: 'no current password',
    route: `POST ${ME}/email`,
    body: { email: 'a@example.test' },
    field: '/currentPassword',
  },
  {
    name: 'documents not transfer or trash',
    route: `DELETE ${ME}`,
    body: { password: 'x', documents: 'keep' },
    field: '/documents',
  },
  {
    name: 'transferTo not a uuid',
    route: `DELETE ${ME}`,
    body: { password: 'x', documents: 'transfer', transferTo: NOT_A_UUID },
    field: '/transferTo',
  },
  { name: 'no body', route: `DELETE ${ME}` },
  {
    name: 'a malformed link token',
    route: EMAIL_CHANGE_CONFIRM,
    body: { token: 'has spaces in it, not base64url' },
    field: '/token',
  },
  { name: 'no token', route: EMAIL_CHANGE_CONFIRM, body: {}, field: '/token' },
  { name: 'a link token that is none of ours', route: EMAIL_CHANGE_CONFIRM, body: { token: LINK_TOKEN }, status: 410 },
  // --- invitations answered in the app [I6]
  {
    name: 'invalid invitation uuid',
    route: `POST ${MY_INVITATION}/accept`,
    path: `${API_PREFIX}/me/invitations/${NOT_A_UUID}/accept`,
    field: 'params:/id',
  },
  {
    name: 'invalid invitation uuid',
    route: `POST ${MY_INVITATION}/decline`,
    path: `${API_PREFIX}/me/invitations/${NOT_A_UUID}/decline`,
    field: 'params:/id',
  },
  {
    name: 'an invitation not addressed to the caller',
    route: `POST ${MY_INVITATION}/decline`,
    path: `${API_PREFIX}/me/invitations/${VALID_UUID}/decline`,
    status: 404,
  },
  // --- search
  { name: 'q missing', route: `GET ${SEARCH}`, query: '', field: 'querystring:/q' },
  { name: 'q empty', route: `GET ${SEARCH}`, query: 'q=', field: 'querystring:/q' },
  { name: 'q over 200', route: `GET ${SEARCH}`, query: `q=${long(201)}`, field: 'querystring:/q' },
  { name: 'q only punctuation', route: `GET ${SEARCH}`, query: `q=${encodeURIComponent('&|!():*')}`, field: '/q' },
  { name: 'limit over 50', route: `GET ${SEARCH}`, query: 'q=plan&limit=51', field: 'querystring:/limit' },
  {
    name: 'invalid workspaceId',
    route: `GET ${SEARCH}`,
    query: 'q=plan&workspaceId=1',
    field: 'querystring:/workspaceId',
  },
  { name: 'an unknown query field', route: `GET ${SEARCH}`, query: 'q=plan&fuzzy=1', field: 'querystring:/fuzzy' },
  { name: 'garbage search cursor', route: `GET ${SEARCH}`, query: 'q=plan&cursor=garbage', field: '/cursor' },
  {
    name: 'search cursor with injected rank',
    route: `GET ${SEARCH}`,
    query: `q=plan&cursor=${cursorOf(`1); drop table documents; --|${VALID_UUID}`)}`,
    field: '/cursor',
  },
  {
    name: 'search cursor with a bad id',
    route: `GET ${SEARCH}`,
    query: `q=plan&cursor=${cursorOf("0.5|' or 1=1 --")}`,
    field: '/cursor',
  },
  {
    name: 'search cursor over 200',
    route: `GET ${SEARCH}`,
    query: `q=plan&cursor=${long(201)}`,
    field: 'querystring:/cursor',
  },
  // --- quick switcher
  { name: 'titles: q missing', route: `GET ${SEARCH}/titles`, query: '', field: 'querystring:/q' },
  { name: 'titles: q empty', route: `GET ${SEARCH}/titles`, query: 'q=', field: 'querystring:/q' },
  { name: 'titles: q over 100', route: `GET ${SEARCH}/titles`, query: `q=${long(101)}`, field: 'querystring:/q' },
  {
    name: 'titles: q only punctuation',
    route: `GET ${SEARCH}/titles`,
    query: `q=${encodeURIComponent('%_\\*')}`,
    field: '/q',
  },
  {
    name: 'titles: limit over 20',
    route: `GET ${SEARCH}/titles`,
    query: 'q=plan&limit=21',
    field: 'querystring:/limit',
  },
  { name: 'titles: limit 0', route: `GET ${SEARCH}/titles`, query: 'q=plan&limit=0', field: 'querystring:/limit' },
  {
    name: 'titles: invalid workspaceId',
    route: `GET ${SEARCH}/titles`,
    query: 'q=plan&workspaceId=1',
    field: 'querystring:/workspaceId',
  },
  {
    name: 'titles: an unknown query field',
    route: `GET ${SEARCH}/titles`,
    query: 'q=plan&x=1',
    field: 'querystring:/x',
  },
  // --- exports
  { name: 'format missing', route: `POST ${DOCUMENT}/export`, body: {}, field: '/format' },
  { name: 'format not in the enum', route: `POST ${DOCUMENT}/export`, body: { format: 'odt' }, field: '/format' },
  { name: 'format is an array', route: `POST ${DOCUMENT}/export`, body: { format: ['pdf'] }, field: '/format' },
  { name: 'an unknown field', route: `POST ${DOCUMENT}/export`, body: { format: 'pdf', pages: 2 }, field: '/pages' },
  // [E10] which comment threads to print: none, open or all.
  {
    name: 'comments is a boolean',
    route: `POST ${DOCUMENT}/export`,
    body: { format: 'pdf', comments: true },
    field: '/comments',
  },
  {
    name: 'comments not in the enum',
    route: `POST ${DOCUMENT}/export`,
    body: { format: 'docx', comments: 'resolved' },
    field: '/comments',
  },
  {
    name: 'webhookUrl is a number',
    route: `POST ${DOCUMENT}/export`,
    body: { format: 'pdf', webhookUrl: 7 },
    field: '/webhookUrl',
  },
  {
    name: 'webhookUrl is not a URL',
    route: `POST ${DOCUMENT}/export`,
    body: { format: 'pdf', webhookUrl: 'hook' },
    field: '/webhookUrl',
  },
  {
    name: 'webhookUrl is not http(s)',
    route: `POST ${DOCUMENT}/export`,
    body: { format: 'pdf', webhookUrl: 'file:///etc/passwd' },
    field: '/webhookUrl',
  },
  {
    name: 'webhookUrl carries credentials',
    route: `POST ${DOCUMENT}/export`,
    body: { format: 'pdf', webhookUrl: 'https://u:p@example.com/hook' },
    field: '/webhookUrl',
  },
  {
    name: 'webhookUrl on loopback (SSRF)',
    route: `POST ${DOCUMENT}/export`,
    body: { format: 'pdf', webhookUrl: 'http://127.0.0.1:6379/' },
    field: '/webhookUrl',
  },
  {
    name: 'webhookUrl on a private network (SSRF)',
    route: `POST ${DOCUMENT}/export`,
    body: { format: 'pdf', webhookUrl: 'http://10.0.0.5/hook' },
    field: '/webhookUrl',
  },
  {
    name: 'webhookUrl on cloud metadata (SSRF)',
    route: `POST ${DOCUMENT}/export`,
    body: { format: 'pdf', webhookUrl: 'http://169.254.169.254/latest/meta-data/' },
    field: '/webhookUrl',
  },
  {
    name: 'webhookUrl on IPv6 loopback (SSRF)',
    route: `POST ${DOCUMENT}/export`,
    body: { format: 'pdf', webhookUrl: 'http://[::1]/hook' },
    field: '/webhookUrl',
  },
  {
    name: 'webhookUrl is localhost (SSRF)',
    route: `POST ${DOCUMENT}/export`,
    body: { format: 'pdf', webhookUrl: 'http://localhost:3000/hook' },
    field: '/webhookUrl',
  },
  {
    name: 'webhookUrl over 2048 chars',
    route: `POST ${DOCUMENT}/export`,
    body: { format: 'pdf', webhookUrl: `https://example.com/${long(2048)}` },
    field: '/webhookUrl',
  },
  {
    name: 'invalid uuid',
    route: `POST ${DOCUMENT}/export`,
    path: `${API_PREFIX}/documents/${NOT_A_UUID}/export`,
    body: { format: 'pdf' },
    field: 'params:/id',
  },
  {
    name: 'invalid job uuid',
    route: `GET ${EXPORT_JOB}`,
    path: `${API_PREFIX}/exports/${NOT_A_UUID}`,
    field: 'params:/jobId',
  },
  {
    name: 'invalid job uuid',
    route: `GET ${EXPORT_JOB}/download`,
    path: `${API_PREFIX}/exports/${NIL_LIKE}/download`,
    field: 'params:/jobId',
  },
  // --- operator API
  {
    name: 'type is not a profile type',
    route: PROFILE,
    query: 'type=wall',
    operator: true,
    field: 'querystring:/type',
  },
  { name: 'seconds is 0', route: PROFILE, query: 'seconds=0', operator: true, field: 'querystring:/seconds' },
  { name: 'seconds over 300', route: PROFILE, query: 'seconds=301', operator: true, field: 'querystring:/seconds' },
  {
    name: 'seconds is not a number',
    route: PROFILE,
    query: 'seconds=ten',
    operator: true,
    field: 'querystring:/seconds',
  },
  { name: 'an unknown parameter', route: PROFILE, query: 'seconds=1&pid=1', operator: true, field: 'querystring:/pid' },
  { name: 'workspaceId missing', route: `GET ${DEAD_EXPORTS}`, query: '', field: 'querystring:/workspaceId' },
  {
    name: 'workspaceId not a uuid',
    route: `GET ${DEAD_EXPORTS}`,
    query: 'workspaceId=1',
    field: 'querystring:/workspaceId',
  },
  {
    name: 'limit over 100',
    route: `GET ${DEAD_EXPORTS}`,
    query: `workspaceId=${VALID_UUID}&limit=101`,
    field: 'querystring:/limit',
  },
  {
    name: 'an unknown query field',
    route: `GET ${DEAD_EXPORTS}`,
    query: `workspaceId=${VALID_UUID}&status=dead`,
    field: 'querystring:/status',
  },
  {
    name: 'invalid job uuid',
    route: `POST ${API_PREFIX}/admin/exports/{jobId}/retry`,
    path: `${API_PREFIX}/admin/exports/${NOT_A_UUID}/retry`,
    field: 'params:/jobId',
  },
  // --- operator API (sent with the operator credential, so only the input can fail)
  { name: 'plan missing', route: `PUT ${OPERATOR_PLAN}`, body: {}, field: '/plan', operator: true },
  {
    name: 'plan not in the enum',
    route: `PUT ${OPERATOR_PLAN}`,
    body: { plan: 'platinum' },
    field: '/plan',
    operator: true,
  },
  {
    name: 'rateLimitPerSecond is 0',
    route: `PUT ${OPERATOR_PLAN}`,
    body: { plan: 'free', rateLimitPerSecond: 0 },
    field: '/rateLimitPerSecond',
    operator: true,
  },
  {
    name: 'rateLimitPerSecond is fractional',
    route: `PUT ${OPERATOR_PLAN}`,
    body: { plan: 'free', rateLimitPerSecond: 1.5 },
    field: '/rateLimitPerSecond',
    operator: true,
  },
  {
    name: 'rateLimitPerSecond over 100000',
    route: `PUT ${OPERATOR_PLAN}`,
    body: { plan: 'free', rateLimitPerSecond: 100_001 },
    field: '/rateLimitPerSecond',
    operator: true,
  },
  {
    name: 'an unknown field',
    route: `PUT ${OPERATOR_PLAN}`,
    body: { plan: 'free', exportQuota: 1e9 },
    field: '/exportQuota',
    operator: true,
  },
  {
    name: 'invalid uuid',
    route: `PUT ${OPERATOR_PLAN}`,
    path: `${API_PREFIX}/admin/workspaces/${NOT_A_UUID}/plan`,
    body: { plan: 'free' },
    field: 'params:/id',
    operator: true,
  },
  // --- password reset [A8]
  { name: 'email missing', route: PASSWORD_RESET, body: {}, field: '/email' },
  { name: 'email is not an email', route: PASSWORD_RESET, body: { email: 'bob' }, field: '/email' },
  {
    name: 'an unknown field',
    route: PASSWORD_RESET,
    body: { email: 'a@b.test', userId: VALID_UUID },
    field: '/userId',
  },
  { name: 'token missing', route: PASSWORD_RESET_CONFIRM, body: { password: TEST_PASSWORD }, field: '/token' },
  {
    name: 'token with characters no link has',
    route: PASSWORD_RESET_CONFIRM,
    body: { token: `${LINK_TOKEN}/../`, password: TEST_PASSWORD },
    field: '/token',
  },
  {
    name: 'password too short',
    route: PASSWORD_RESET_CONFIRM,
    body: { token: LINK_TOKEN, password: 'short' },
    field: '/password',
  },
  {
    name: 'a common password',
    route: PASSWORD_RESET_CONFIRM,
    body: { token: LINK_TOKEN, password: 'password1234' },
    field: '/password',
  },
  // --- invitations and invite links [I3] [I5]
  { name: 'token missing', route: INVITATION_PREVIEW, body: {}, field: '/token' },
  { name: 'token too short', route: INVITATION_PREVIEW, body: { token: 'abc' }, field: '/token' },
  { name: 'token is a number', route: INVITATION_ACCEPT, body: { token: 42 }, field: '/token' },
  { name: 'an unknown field', route: INVITATION_ACCEPT, body: { token: LINK_TOKEN, role: 'owner' }, field: '/role' },
  {
    name: 'invalid uuid',
    route: `GET ${WS_INVITATIONS}`,
    path: `${API_PREFIX}/workspaces/${NOT_A_UUID}/invitations`,
    field: 'params:/id',
  },
  {
    name: 'invalid invitation id',
    route: `DELETE ${WS_INVITATION}`,
    path: `${API_PREFIX}/workspaces/{id}/invitations/${NOT_A_UUID}`,
    field: 'params:/invitationId',
  },
  {
    name: 'invalid invitation id',
    route: `POST ${WS_INVITATION}/resend`,
    path: `${API_PREFIX}/workspaces/{id}/invitations/${NIL_LIKE}/resend`,
    field: 'params:/invitationId',
  },
  {
    name: 'invalid uuid',
    route: `GET ${DOC_INVITATIONS}`,
    path: `${API_PREFIX}/documents/${NOT_A_UUID}/invitations`,
    field: 'params:/id',
  },
  {
    name: 'invalid invitation id',
    route: `DELETE ${DOC_INVITATION}`,
    path: `${API_PREFIX}/documents/{id}/invitations/${NOT_A_UUID}`,
    field: 'params:/invitationId',
  },
  {
    name: 'invalid invitation id',
    route: `POST ${DOC_INVITATION}/resend`,
    path: `${API_PREFIX}/documents/{id}/invitations/1/resend`,
    field: 'params:/invitationId',
  },
  {
    name: 'role admin (links give member or guest)',
    route: `POST ${INVITE_LINKS}`,
    body: { role: 'admin', expiresInHours: 24 },
    field: '/role',
  },
  { name: 'expiresInHours missing', route: `POST ${INVITE_LINKS}`, body: { role: 'member' }, field: '/expiresInHours' },
  {
    name: 'expiresInHours over 30 days',
    route: `POST ${INVITE_LINKS}`,
    body: { role: 'member', expiresInHours: 721 },
    field: '/expiresInHours',
  },
  {
    name: 'maxUses 0',
    route: `POST ${INVITE_LINKS}`,
    body: { role: 'member', expiresInHours: 24, maxUses: 0 },
    field: '/maxUses',
  },
  {
    name: 'invalid uuid',
    route: `GET ${INVITE_LINKS}`,
    path: `${API_PREFIX}/workspaces/${NOT_A_UUID}/invite-links`,
    field: 'params:/id',
  },
  {
    name: 'invalid link id',
    route: `DELETE ${INVITE_LINK}`,
    path: `${API_PREFIX}/workspaces/{id}/invite-links/${NOT_A_UUID}`,
    field: 'params:/linkId',
  },
  // --- the body itself
  { name: 'malformed JSON', route: WORKSPACES, raw: '{"name": "W",' },
  { name: 'empty JSON body', route: WORKSPACES, raw: '' },
  { name: 'a __proto__ key', route: WORKSPACES, raw: '{"name":"W","__proto__":{"isAdmin":true}}' },
  { name: 'a body over 64 KiB', route: WORKSPACES, body: { name: long(65 * 1024) }, status: 413 },
  { name: 'a body over 64 KiB', route: SIGNUP, body: { ...signup, displayName: long(65 * 1024) }, status: 413 },
  { name: 'an XML body', route: WORKSPACES, raw: '<name>W</name>', contentType: 'application/xml', status: 415 },
  {
    name: 'a form body',
    route: SIGNUP,
    raw: 'email=a@b.test',
    contentType: 'application/x-www-form-urlencoded',
    status: 415,
  },
  { name: 'a text/plain body', route: WORKSPACES, raw: '{"name":"W"}', contentType: 'text/plain', status: 415 },
  // --- comments and notifications [C4]
  ...COMMENT_BAD_REQUESTS,
  // --- images [IM2]
  ...IMAGE_BAD_REQUESTS,
];

/** Tables whose row counts must not move when a request is rejected. */
const TABLES = [
  'users',
  'workspaces',
  'workspace_members',
  'documents',
  'document_shares',
  'refresh_tokens',
  'invitations',
  'workspace_invite_links',
  'password_resets',
  ...COMMENT_TABLES,
  'document_versions',
] as const;

describe.each(backends)('bad input is rejected before anything is written [$name]', (backend) => {
  let t: TestApp;
  let owner: TestSession;
  let bob: TestSession;
  let workspaceId: string;
  let documentId: string;

  beforeAll(async () => {
    t = await startTestApp(backend, { OPERATOR_TOKEN });
    owner = await t.signUp('owner');
    bob = await t.signUp('bob');
    workspaceId = (
      await t.request('POST', `${API_PREFIX}/workspaces`, { token: owner.token, body: { name: 'Acme' } })
    ).json().id;
    await t.addMember(owner, workspaceId, bob, 'member');
    const doc = await t.request('POST', `${API_PREFIX}/workspaces/${workspaceId}/documents`, {
      token: owner.token,
      body: { title: 'Quarterly plan' },
    });
    documentId = doc.json().id;
    const share = await t.request('PUT', `${API_PREFIX}/documents/${documentId}/shares/${bob.userId}`, {
      token: owner.token,
      body: { role: 'viewer' },
    });
    expect(share.statusCode).toBe(200);
  }, 180_000);
  afterAll(async () => {
    await t?.close();
  });

  /** Row counts plus the mutable fields a PATCH/PUT could change. */
  async function snapshot() {
    const db = t.app.database.pool('api');
    const counts: Record<string, number> = {};
    for (const table of TABLES) {
      const row = await db
        .selectFrom(table)
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .executeTakeFirstOrThrow();
      counts[table] = Number(row.n);
    }
    return {
      counts,
      workspaces: await db
        .selectFrom('workspaces')
        .select(['id', 'name', 'plan', 'updated_at', 'viewers_browse'])
        .orderBy('id')
        .execute(),
      documents: await db
        .selectFrom('documents')
        .select(['id', 'title', 'updated_at', 'general_access', 'owner_id'])
        .orderBy('id')
        .execute(),
      members: await db.selectFrom('workspace_members').select(['user_id', 'role']).orderBy('user_id').execute(),
      shares: await db.selectFrom('document_shares').select(['user_id', 'role']).orderBy('user_id').execute(),
    };
  }

  /** Fills `{id}` and `{userId}` with ids that exist, so only the bad part can fail. */
  function pathFor(route: Route, override?: string): string {
    const template = override ?? route.slice(route.indexOf(' ') + 1);
    const inWorkspace =
      template.startsWith(`${API_PREFIX}/workspaces/`) || template.startsWith(`${API_PREFIX}/admin/workspaces/`);
    const id = inWorkspace ? workspaceId : documentId;
    return template.replace('{id}', id).replace('{userId}', bob.userId);
  }

  it.each(BAD_REQUESTS)('$route: $name → $status', async (c) => {
    const status = c.status ?? 400;
    const method = c.route.slice(0, c.route.indexOf(' ')) as Method;
    const path = pathFor(c.route, c.path);
    const before = await snapshot();

    const res = await t.app.server.inject({
      method,
      url: c.query === undefined ? path : `${path}?${c.query}`,
      headers: {
        authorization: `Bearer ${c.operator ? OPERATOR_TOKEN : owner.token}`,
        ...((c.body !== undefined || c.raw !== undefined) && { 'content-type': c.contentType ?? 'application/json' }),
      },
      ...(c.raw !== undefined ? { payload: c.raw } : c.body !== undefined && { payload: JSON.stringify(c.body) }),
    });

    expect(res.statusCode, res.body).toBe(status);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    const problem = res.json();
    expect(problem).toMatchObject({
      status,
      type: expect.stringContaining(PROBLEM_TYPE_BASE),
      detail: expect.any(String),
    });
    if (c.field) {
      expect(problem.errors?.map((e: { field: string }) => e.field)).toContain(c.field);
    }
    expect(await snapshot()).toEqual(before);
  });

  it('the table above covers every route that takes a body, path parameters or a query', async () => {
    const spec = (await t.request('GET', `${API_PREFIX}/openapi.json`)).json() as {
      paths: Record<string, Record<string, { parameters?: unknown[]; requestBody?: unknown }>>;
    };
    const withInput = Object.entries(spec.paths).flatMap(([path, ops]) =>
      Object.entries(ops)
        .filter(([, op]) => (op.parameters?.length ?? 0) > 0 || op.requestBody)
        .map(([method]) => `${method.toUpperCase()} ${path}`),
    );
    const covered = new Set(BAD_REQUESTS.map((c) => c.route));
    expect(withInput.length).toBeGreaterThan(15);
    expect(withInput.filter((route) => !covered.has(route as Route))).toEqual([]);
  });

  it('an empty PATCH on a workspace says the name is needed', async () => {
    const res = await t.request('PATCH', `${API_PREFIX}/workspaces/${workspaceId}`, { token: owner.token, body: {} });
    expect(res.statusCode).toBe(400);
    expect(res.json().detail).toMatch(/\/name is required/);
  });

  it('a PATCH without any body is a 400, not a crash', async () => {
    const res = await t.request('PATCH', `${API_PREFIX}/documents/${documentId}`, { token: owner.token });
    expect(res.statusCode).toBe(400);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
  });

  it('tsquery syntax in q is treated as plain words: search answers 200', async () => {
    for (const q of [
      'plan & | ! ( ) :*',
      "plan' OR 1=1 --",
      'plan:* <-> !quarterly',
      '\\plan',
      '((plan))',
      'plan & !',
    ]) {
      const res = await t.request('GET', `${API_PREFIX}/search?q=${encodeURIComponent(q)}`, { token: owner.token });
      expect(res.statusCode, `${q}: ${res.body}`).toBe(200);
    }
    const hit = await t.request('GET', `${API_PREFIX}/search?q=${encodeURIComponent('quarter & | ! ( ) :*')}`, {
      token: owner.token,
    });
    expect(hit.json().items.map((h: { id: string }) => h.id)).toContain(documentId);
  });

  it('LIKE wildcards in a quick-switcher query match themselves, not everything', async () => {
    for (const q of ['%', '_', '%%%', 'plan%', '\\%']) {
      const res = await t.request('GET', `${API_PREFIX}/search/titles?q=${encodeURIComponent(q)}`, {
        token: owner.token,
      });
      // Only letters and digits are searched: a pure-wildcard query is a 400, a mixed one finds "plan" only.
      if (/[a-z]/.test(q)) {
        expect(res.statusCode, res.body).toBe(200);
        for (const h of res.json().items as { title: string; match: string }[]) {
          if (h.match !== 'fuzzy') expect(h.title.toLowerCase()).toContain('plan');
        }
      } else expect(res.statusCode, res.body).toBe(400);
    }
  });

  it('none of the bad requests above caused a server error (http_request_errors_total never appears)', async () => {
    const metrics = (await t.request('GET', '/metrics')).body;
    expect(metrics).not.toMatch(/^http_request_errors_total\{/m);
  });
});
