/**
 * What the sync bench needs in our server, created through the public API: an owner who types,
 * a workspace member (editor through the workspace) and a viewer who only holds viewer shares,
 * plus the documents of every workload. Hocuspocus gets the same document ids as names.
 */
import { mapLimit } from './limit.ts';

const API = '/api/v1';
const PASSWORD = 'bench-password-1';
const CONCURRENCY = 8;
const ATTEMPTS = 5;
const RETRY_MS = 200;

export type Tokens = { editor: string; member: string; viewer: string };
export type SyncFixture = {
  tokens: Tokens;
  /** Documents per workload name. */
  documents: Record<string, string[]>;
  /** Documents the viewer holds a viewer share on. */
  viewerShares: number;
};

type Json = Record<string, unknown>;

async function call(base: string, method: string, path: string, body?: unknown, token?: string): Promise<Json> {
  for (let attempt = 1; ; attempt++) {
    const res = await fetch(`${base}${API}${path}`, {
      method,
      headers: {
        ...(token && { authorization: `Bearer ${token}` }),
        ...(body !== undefined && { 'content-type': 'application/json' }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    // A cold pool may shed a burst with 503; seeding is not what is measured, so retry.
    if (res.status === 503 && attempt < ATTEMPTS) {
      await new Promise((r) => setTimeout(r, RETRY_MS * attempt));
      continue;
    }
    if (!res.ok) throw new Error(`sync fixture: ${method} ${path} → ${res.status} ${text.slice(0, 300)}`);
    return text ? (JSON.parse(text) as Json) : {};
  }
}

/**
 * `documents` maps a workload to its document count; `viewed` names the workloads whose
 * documents the viewer may read.
 */
export async function createSyncFixture(
  base: string,
  documents: Record<string, number>,
  viewed: readonly string[],
): Promise<SyncFixture> {
  const run = Date.now().toString(36);
  const signUp = async (who: string) => {
    const s = await call(base, 'POST', '/auth/signup', {
      email: `sync-${who}-${run}@bench.example`,
      password: PASSWORD,
      displayName: `Sync bench ${who}`,
    });
    return {
      id: (s.user as Json).id as string,
      email: (s.user as Json).email as string,
      token: s.accessToken as string,
    };
  };
  const owner = await signUp('owner');
  const member = await signUp('member');
  const viewer = await signUp('viewer');
  const workspace = await call(base, 'POST', '/workspaces', { name: 'Sync bench' }, owner.token);
  // Members join by accepting their invitation (mail goes to files, so the answer has the link).
  const invited = await call(
    base,
    'POST',
    `/workspaces/${workspace.id}/members`,
    { email: member.email, role: 'member' },
    owner.token,
  );
  await call(
    base,
    'POST',
    '/invitations/accept',
    { token: new URL(invited.link as string).hash.slice(7) },
    member.token,
  );

  const out: Record<string, string[]> = {};
  for (const [workload, count] of Object.entries(documents)) {
    out[workload] = await mapLimit(
      Array.from({ length: count }, (_, i) => `${workload} ${i + 1}`),
      CONCURRENCY,
      async (title) =>
        (await call(base, 'POST', `/workspaces/${workspace.id}/documents`, { title }, owner.token)).id as string,
    );
  }
  const shared = viewed.flatMap((w) => out[w] ?? []);
  await mapLimit(shared, CONCURRENCY, (doc) =>
    call(base, 'PUT', `/documents/${doc}/shares/${viewer.id}`, { role: 'viewer' }, owner.token),
  );
  return {
    tokens: { editor: owner.token, member: member.token, viewer: viewer.token },
    documents: out,
    viewerShares: shared.length,
  };
}
