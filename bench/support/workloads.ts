/** The request mixes the API benchmark drives, built over a seeded fixture. */
import type { RequestSpec, Workload } from './load.ts';
import { type Random, seededRandom } from './random.ts';
import type { Fixture } from './seed.ts';

const API = '/api/v1';
/** One read in this many comes from the reader who holds only shares. */
const SHAREE_EVERY = 4;
const LIST_LIMIT = 20;
const SEARCH_LIMIT = 20;

export const livez: Workload = { name: 'livez', next: () => ({ method: 'GET', path: '/livez' }) };

/** Authenticated reads rotating over every document, a quarter of them by the share-only reader. */
function documentReads(f: Fixture): () => RequestSpec {
  let n = 0;
  let member = 0;
  let sharee = 0;
  return () => {
    n++;
    if (n % SHAREE_EVERY === 0) {
      const id = f.sharedDocumentIds[sharee++ % f.sharedDocumentIds.length];
      return { method: 'GET', path: `${API}/documents/${id}`, token: f.tokens.sharee };
    }
    const id = f.documentIds[member++ % f.documentIds.length];
    return { method: 'GET', path: `${API}/documents/${id}`, token: f.tokens.member };
  };
}

export function documentRead(f: Fixture): Workload {
  return { name: 'documentRead', next: documentReads(f) };
}

/** Shares of the mixed workload; the rest (80 %) are document reads. */
export const MIX = { list: 0.1, search: 0.05, rename: 0.025, create: 0.025 } as const;
type Part = keyof typeof MIX;

/** One generator per kind of request in the mix, so each can also be driven alone. */
function parts(f: Fixture, rnd: Random): Record<Part, () => RequestSpec> {
  const cursors: (string | undefined)[] = [undefined, ...f.listCursors];
  const token = f.tokens.member;
  let renames = 0;
  let creates = 0;
  return {
    list: () => {
      const cursor = rnd.pick(cursors);
      const query = `limit=${LIST_LIMIT}${cursor ? `&cursor=${cursor}` : ''}`;
      return { method: 'GET', path: `${API}/workspaces/${f.workspaceId}/documents?${query}`, token };
    },
    search: () => {
      const q = encodeURIComponent(rnd.pick(f.searchTerms));
      const scope = rnd.next() < 0.5 ? `&workspaceId=${f.workspaceId}` : '';
      return { method: 'GET', path: `${API}/search?q=${q}&limit=${SEARCH_LIMIT}${scope}`, token };
    },
    rename: () => {
      const id = f.documentIds[renames++ % f.documentIds.length];
      return { method: 'PATCH', path: `${API}/documents/${id}`, token, body: { title: `Renamed ${renames}` } };
    },
    create: () => {
      const body = { title: `Created by the benchmark ${++creates}` };
      return { method: 'POST', path: `${API}/workspaces/${f.workspaceId}/documents`, token, body };
    },
  };
}

export function mixed(f: Fixture): Workload {
  const rnd = seededRandom(7);
  const read = documentReads(f);
  const part = parts(f, rnd);
  const order = Object.entries(MIX) as [Part, number][];
  return {
    name: 'mixed',
    next: () => {
      let r = rnd.next();
      for (const [name, share] of order) {
        if (r < share) return part[name]();
        r -= share;
      }
      return read();
    },
  };
}

/** Each non-read part of the mix alone (opt-in phases: what one request of each kind costs). */
export function breakdown(f: Fixture): Workload[] {
  const part = parts(f, seededRandom(11));
  return (Object.keys(MIX) as Part[]).map((name) => ({ name, next: part[name] }));
}
