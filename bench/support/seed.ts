/**
 * Seeds a realistic read set through the public API: an owner, a member reader, a reader who
 * only holds shares, an outsider with a workspace of their own, ~200 documents and their shares.
 * Document text (which no API writes yet) goes in with SQL when the database is reachable, so
 * search ranks real content.
 */
import type { BenchDatabase } from './database.ts';
import { type Random, seededRandom } from './random.ts';

const API = '/api/v1';
const PASSWORD = 'bench-password-1';
const SEED_CONCURRENCY = 8;
const SEED_ATTEMPTS = 5;
const SEED_RETRY_MS = 200;
const LIST_PAGE_SIZE = 20;
const CONTENT_WORDS = 300;

export const VOCABULARY = [
  'roadmap',
  'quarterly',
  'review',
  'design',
  'onboarding',
  'incident',
  'postmortem',
  'pricing',
  'launch',
  'migration',
  'database',
  'latency',
  'budget',
  'hiring',
  'security',
  'audit',
  'retention',
  'analytics',
  'mobile',
  'release',
  'checklist',
  'interview',
  'customer',
  'feedback',
  'architecture',
  'proposal',
  'meeting',
  'notes',
  'planning',
  'strategy',
  'marketing',
  'campaign',
  'research',
  'experiment',
  'metrics',
  'dashboard',
  'support',
  'escalation',
  'contract',
  'vendor',
  'compliance',
  'privacy',
  'policy',
  'training',
  'workshop',
  'offsite',
  'goals',
  'objectives',
  'results',
  'backlog',
  'sprint',
  'retrospective',
  'handbook',
  'invoice',
  'forecast',
  'revenue',
  'partnership',
  'integration',
  'webhook',
  'export',
  'search',
  'index',
  'performance',
  'capacity',
  'outage',
  'runbook',
  'deployment',
  'kubernetes',
  'monitoring',
  'alerting',
] as const;

export type Fixture = {
  workspaceId: string;
  /** Every document of the workspace (the member may read them all). */
  documentIds: string[];
  /** Documents shared with the share-only reader. */
  sharedDocumentIds: string[];
  /** Opaque cursors of the workspace's document list, for paging past page one. */
  listCursors: string[];
  tokens: { member: string; sharee: string };
  searchTerms: string[];
  counts: {
    users: number;
    workspaces: number;
    documents: number;
    shares: number;
    documentsWithText: number;
    /** Seeding requests shed with 503 and retried (a cold connection pool under a burst). */
    retried503: number;
  };
};

type Json = Record<string, unknown>;

let retried503 = 0;

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
    // A cold pool may shed a burst (503); seeding is not what is measured, so retry it.
    if (res.status === 503 && attempt < SEED_ATTEMPTS) {
      retried503++;
      await new Promise((r) => setTimeout(r, SEED_RETRY_MS * attempt));
      continue;
    }
    if (!res.ok) throw new Error(`seed: ${method} ${path} → ${res.status} ${text.slice(0, 300)}`);
    return text ? (JSON.parse(text) as Json) : {};
  }
}

/** Runs `fn` over `items` with at most `limit` in flight, keeping the order of results. */
async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T, i: number) => Promise<R>) {
  const out: R[] = new Array(items.length);
  let nextIndex = 0;
  const worker = async () => {
    while (nextIndex < items.length) {
      const i = nextIndex++;
      out[i] = await fn(items[i] as T, i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

const title = (rnd: Random, i: number) =>
  `${rnd.pick(VOCABULARY)} ${rnd.pick(VOCABULARY)} ${rnd.pick(VOCABULARY)} ${i + 1}`.replace(/^./, (c) =>
    c.toUpperCase(),
  );

const paragraph = (rnd: Random) => Array.from({ length: CONTENT_WORDS }, () => rnd.pick(VOCABULARY)).join(' ');

export async function seed(
  base: string,
  db: BenchDatabase,
  opts: { documents: number; sharedDocuments: number; outsiderDocuments: number },
): Promise<Fixture> {
  const rnd = seededRandom(42);
  const run = Date.now().toString(36);
  const signUp = async (who: string) => {
    const s = await call(base, 'POST', '/auth/signup', {
      email: `${who}-${run}@bench.example`,
      password: PASSWORD,
      displayName: `Bench ${who}`,
    });
    return {
      id: (s.user as Json).id as string,
      email: (s.user as Json).email as string,
      token: s.accessToken as string,
    };
  };
  const [owner, member, sharee, outsider] = await Promise.all(['owner', 'member', 'sharee', 'outsider'].map(signUp));
  if (!owner || !member || !sharee || !outsider) throw new Error('seed: sign-up failed');

  const workspace = await call(base, 'POST', '/workspaces', { name: 'Bench workspace' }, owner.token);
  const workspaceId = workspace.id as string;
  // People join by accepting their invitation (the server writes mail to files, so the answer has the link).
  const invited = await call(
    base,
    'POST',
    `/workspaces/${workspaceId}/members`,
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
  const other = await call(base, 'POST', '/workspaces', { name: 'Outsider workspace' }, outsider.token);

  const titles = Array.from({ length: opts.documents }, (_, i) => title(rnd, i));
  const documentIds = await mapLimit(titles, SEED_CONCURRENCY, async (t) => {
    const d = await call(base, 'POST', `/workspaces/${workspaceId}/documents`, { title: t }, owner.token);
    return d.id as string;
  });
  const outsiderIds = await mapLimit(
    Array.from({ length: opts.outsiderDocuments }, (_, i) => title(rnd, i)),
    SEED_CONCURRENCY,
    async (t) =>
      (await call(base, 'POST', `/workspaces/${other.id}/documents`, { title: t }, outsider.token)).id as string,
  );

  // The sharee reads through shares only; the member also holds a few shares (max(role, share)).
  const sharedDocumentIds = documentIds.filter((_, i) => i % Math.ceil(opts.documents / opts.sharedDocuments) === 0);
  const memberShares = documentIds.filter((_, i) => i % 10 === 5);
  const shares: [string, string, string][] = [
    ...sharedDocumentIds.map((d, i): [string, string, string] => [d, sharee.id, i % 5 === 0 ? 'editor' : 'viewer']),
    ...memberShares.map((d): [string, string, string] => [d, member.id, 'commenter']),
  ];
  await mapLimit(shares, SEED_CONCURRENCY, ([doc, user, role]) =>
    call(base, 'PUT', `/documents/${doc}/shares/${user}`, { role }, owner.token),
  );

  let documentsWithText = 0;
  if (db.kind === 'postgres') {
    const ids = [...documentIds, ...outsiderIds];
    const texts = ids.map(() => paragraph(rnd));
    const r = await db.query(
      'update documents d set content_text = t.text from unnest($1::uuid[], $2::text[]) as t(id, text) where d.id = t.id',
      [ids, texts],
    );
    documentsWithText = r.rowCount ?? 0;
    await db.query('analyze');
  }

  const listCursors: string[] = [];
  let cursor: string | null = null;
  do {
    const query: string = `?limit=${LIST_PAGE_SIZE}${cursor ? `&cursor=${cursor}` : ''}`;
    const page: Json = await call(base, 'GET', `/workspaces/${workspaceId}/documents${query}`, undefined, member.token);
    cursor = (page.nextCursor as string | null) ?? null;
    if (cursor) listCursors.push(cursor);
  } while (cursor);

  return {
    workspaceId,
    documentIds,
    sharedDocumentIds,
    listCursors,
    tokens: { member: member.token, sharee: sharee.token },
    searchTerms: [...VOCABULARY.slice(0, 30), 'road', 'sec', 'perf', 'launch checklist', 'incident runbook'],
    counts: {
      users: 4,
      workspaces: 2,
      documents: documentIds.length + outsiderIds.length,
      shares: shares.length,
      documentsWithText,
      retried503,
    },
  };
}
