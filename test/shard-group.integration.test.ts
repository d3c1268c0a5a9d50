/**
 * A hot document spread over a shard group, for real: the Debian HAProxy, configured from
 * deploy/haproxy/haproxy.cfg (consistent hashing on the path with `hash-balance-factor`), in front
 * of three `collab-docs serve` processes on one PostgreSQL and one Redis. One document takes more
 * sockets than the balance factor lets one instance hold, so they spread over the group; edits
 * converge on every instance; `kill -9` of one instance sends its clients elsewhere with no
 * acknowledged edit lost; SIGTERM of another closes its sockets 1012 after writing everything.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parsePrometheus } from '../bench/support/prometheus.ts';
import { CloseCode } from '../src/sync/close-codes.ts';
import { createTestDatabase, realServersConfigured } from './support/backends.ts';
import { editsIn, eventually as waitFor } from './support/eventually.ts';
import { DEPLOY_HAPROXY_CFG, type Haproxy, sectionDirectives, startHaproxy } from './support/haproxy.ts';
import { ownerWithDocument, type ServerProcess, startServerProcess } from './support/server-process.ts';
import { readStoredUpdates, storedText } from './support/stored-updates.ts';
import { resumeClosedPeers, SyncPeer } from './support/sync-peer.ts';
import { connectRetrying } from './support/sync-resume.ts';

const INSTANCES = 3;
/** Sockets on the hot document: enough that the balance factor must spill them over the ring. */
const SOCKETS = 24;
const EDITS_PER_PEER = 4;
const SETTLE_TIMEOUT_MS = 15_000;
const RECONNECT_ATTEMPTS = 20;
const RECONNECT_BACKOFF_MS = 100;
const POLL_MS = 50;
/** Start-up includes migrations; generous, the machine may be busy. */
const READY_TIMEOUT_MS = 120_000;

const yieldToNetwork = () => new Promise((r) => setImmediate(r));

const eventually = (what: string, probe: () => Promise<boolean> | boolean, timeoutMs = SETTLE_TIMEOUT_MS) =>
  waitFor(what, probe, timeoutMs, POLL_MS);

async function openSockets(base: string): Promise<number> {
  const res = await fetch(`${base}/metrics`);
  const sample = parsePrometheus(await res.text()).find((s) => s.name === 'sync_open_sockets');
  return sample?.value ?? 0;
}

/** The balance factor HAProxy is deployed with (percent of the average load one server may take). */
function deployedBalanceFactor(): number {
  const be = sectionDirectives(readFileSync(DEPLOY_HAPROXY_CFG, 'utf8'), 'backend be_sync');
  // The routing this test relies on, asserted on the deploy file itself so the two cannot drift.
  expect(be).toContain('balance uri path-only');
  expect(be).toContain('hash-type consistent');
  const factor = be.map((d) => /^hash-balance-factor (\d+)$/.exec(d)?.[1]).find(Boolean);
  expect(factor, 'hash-balance-factor in be_sync').toBeDefined();
  return Number(factor);
}

// Several processes cannot share the embedded database: PostgreSQL and Redis are required.
describe.skipIf(!realServersConfigured)('a hot document over a shard group behind HAProxy [postgres+redis]', () => {
  let databaseUrl: string;
  let dropDatabase: (() => Promise<void>) | undefined;
  let dataDir: string;
  const servers: ServerProcess[] = [];
  let proxy: Haproxy;
  let token: string;
  let documentId: string;
  let peers: SyncPeer[] = [];
  /** Every edit some peer has seen acknowledged (SAVED): none of them may ever be lost. */
  const acknowledged = new Set<string>();

  beforeAll(async () => {
    const db = await createTestDatabase();
    databaseUrl = db.url;
    dropDatabase = db.drop;
    dataDir = mkdtempSync(join(tmpdir(), 'collab-docs-shard-'));
    const env = {
      DATABASE_URL: db.url,
      REDIS_URL: process.env.REDIS_URL as string,
      REDIS_PREFIX: `shard:${randomBytes(4).toString('hex')}:`,
      DATA_DIR: dataDir,
      LOG_LEVEL: 'warn',
      DB_POOL_ACQUIRE_TIMEOUT_MS: '10000',
      SYNC_MESSAGES_PER_SECOND: '100000',
      SYNC_MESSAGE_BURST: '100000',
    };
    // The first one migrates and creates the signing key; the others then start together.
    servers.push(await startServerProcess(env, READY_TIMEOUT_MS));
    servers.push(
      ...(await Promise.all(Array.from({ length: INSTANCES - 1 }, () => startServerProcess(env, READY_TIMEOUT_MS)))),
    );
    const addresses = servers.map((s) => new URL(s.url).host);
    proxy = await startHaproxy({ sync: addresses, api: addresses });
    await eventually('every sync server UP in HAProxy', async () => {
      const sync = (await proxy.stats()).filter((s) => s.proxy === 'be_sync');
      return sync.length === INSTANCES && sync.every((s) => s.status === 'UP');
    });

    // The API through HAProxy too (be_api), as a browser would.
    ({ token, documentId } = await ownerWithDocument(proxy.url, {
      person: 'Hot',
      workspace: 'Viral',
      document: 'viral',
    }));
  }, 400_000);

  afterAll(async () => {
    for (const p of peers) p.close();
    await proxy?.stop();
    await Promise.all(servers.map((s) => s.stop('SIGKILL')));
    await dropDatabase?.();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  const live = () => servers.filter((s) => s.child.exitCode === null && s.child.signalCode === null);

  /** Sockets HAProxy holds open to each instance (in `servers` order; readers connected directly are not counted). */
  async function proxiedSockets(): Promise<number[]> {
    const sync = (await proxy.stats()).filter((s) => s.proxy === 'be_sync');
    return servers.map((_, i) => sync.find((s) => s.server === `sync${i + 1}`)?.current ?? 0);
  }

  /** The instance holding the most of the document's sockets. */
  async function busiest(): Promise<{ victim: ServerProcess; victimSockets: number }> {
    const counts = await proxiedSockets();
    const victimSockets = Math.max(...counts);
    return { victim: servers[counts.indexOf(victimSockets)]!, victimSockets };
  }

  /** Opens a socket through HAProxy like a reconnecting client: retried with backoff until it syncs. */
  function connectThroughProxy(previous?: SyncPeer): Promise<SyncPeer> {
    return connectRetrying(proxy.url, documentId, token, previous, {
      attempts: RECONNECT_ATTEMPTS,
      backoffMs: RECONNECT_BACKOFF_MS,
      via: 'through HAProxy',
    });
  }

  /** Each peer types `n` edits named after itself; resolves once every peer holds SAVED for all it sent. */
  async function typeAndSave(label: string, n: number): Promise<string[]> {
    const typed: string[] = [];
    for (let round = 0; round < n; round++) {
      peers.forEach((p, i) => {
        const edit = `${label}${i}.${round}`;
        p.type(`${edit};`);
        typed.push(edit);
      });
      await yieldToNetwork();
    }
    await Promise.all(peers.map((p) => p.untilSaved(SETTLE_TIMEOUT_MS)));
    for (const e of typed) acknowledged.add(e);
    return typed;
  }

  /** Every peer, and a fresh reader on every live instance (bypassing HAProxy), holds the same text with every acknowledged edit. */
  async function expectConvergedEverywhere(): Promise<void> {
    const holdsAll = (text: string) => {
      const present = new Set(editsIn(text));
      return [...acknowledged].every((e) => present.has(e));
    };
    await Promise.all(
      peers.map((p) => p.until(() => holdsAll(p.text()), SETTLE_TIMEOUT_MS, 'every acknowledged edit')),
    );
    const reference = peers[0]!.text();
    for (const p of peers) expect(p.text()).toBe(reference);
    for (const s of live()) {
      const reader = await SyncPeer.connect(s.url, documentId, token);
      await reader.untilSynced();
      await reader.until(() => reader.text() === reference, SETTLE_TIMEOUT_MS, `instance ${s.url} converged`);
      reader.close();
    }
    expect(new Set(editsIn(reference)).size).toBe(editsIn(reference).length);
  }

  it('[S10.1] one document over the balance factor spreads over the group, within the bound, and converges everywhere', {
    timeout: 60_000,
  }, async () => {
    const factor = deployedBalanceFactor();
    // Sequential connects: each one is routed with the previous ones counted.
    for (let i = 0; i < SOCKETS; i++) peers.push(await connectThroughProxy());
    const perInstance = await Promise.all(servers.map((s) => openSockets(s.url)));
    const perServer = await proxiedSockets();
    console.info(
      `[S10.1] ${SOCKETS} sockets of one document per instance: ${perInstance.join(' / ')} (factor ${factor})`,
    );
    expect(perInstance.reduce((a, b) => a + b, 0)).toBe(SOCKETS);
    expect(perServer).toEqual(perInstance);
    // Without the bound every socket would sit on the document's one instance.
    expect(perInstance.filter((n) => n > 0).length).toBeGreaterThanOrEqual(2);
    const bound = Math.ceil(((factor / 100) * SOCKETS) / INSTANCES);
    for (const n of perInstance) expect(n).toBeLessThanOrEqual(bound);

    await typeAndSave('a', EDITS_PER_PEER);
    await expectConvergedEverywhere();
  });

  it('[S10.1][S3.5] kill -9 of one instance: its clients reconnect through HAProxy to the others, no acknowledged edit lost', {
    timeout: 60_000,
  }, async () => {
    const { victim, victimSockets } = await busiest();
    await typeAndSave('b', EDITS_PER_PEER);
    // A last burst the victim may not get to acknowledge: its clients re-send it on reconnect.
    for (const [i, p] of peers.entries()) p.type(`c${i};`);
    victim.child.kill('SIGKILL');
    expect(await victim.exited).toBe('SIGKILL');

    await eventually('the victim’s sockets closed', () => peers.filter((p) => p.closed).length === victimSockets);
    // Everything it had seen acknowledged stays acknowledged; its unacknowledged tail is re-sent.
    peers = await resumeClosedPeers(peers, connectThroughProxy, SETTLE_TIMEOUT_MS);
    // The burst reaches everyone and, once acknowledged after the reconnect, is stored: instances
    // publish only committed batches [S6.1], so the survivors never hold (and acknowledge) an edit
    // that existed only in the victim's memory.
    for (let i = 0; i < peers.length; i++) acknowledged.add(`c${i}`);
    const burst = peers.map((_, i) => `c${i}`);
    await Promise.all(
      peers.map((p) => p.until(() => burst.every((e) => p.text().includes(`${e};`)), SETTLE_TIMEOUT_MS, 'the burst')),
    );
    expect(live()).toHaveLength(INSTANCES - 1);
    const after = await proxiedSockets();
    expect(after.reduce((a, b) => a + b, 0)).toBe(SOCKETS);
    expect(after[servers.indexOf(victim)]).toBe(0);
    console.info(`[S10.1] after kill -9: ${after.join(' / ')} sockets per instance`);

    await typeAndSave('d', 2);
    await expectConvergedEverywhere();
    const stored = new Set(editsIn(storedText(await readStoredUpdates(databaseUrl, documentId))));
    for (const e of acknowledged) expect(stored.has(e), `stored ${e}`).toBe(true);
  });

  it('[S10.1][S8.1] SIGTERM of a loaded instance: every pending edit written and acknowledged, sockets closed 1012, clients move on', {
    timeout: 60_000,
  }, async () => {
    const { victim, victimSockets } = await busiest();
    for (const [i, p] of peers.entries()) p.type(`e${i};`);
    victim.child.kill('SIGTERM');
    await eventually(
      'the draining instance’s sockets closed',
      () => peers.filter((p) => p.closed).length === victimSockets,
    );
    const closed = peers.filter((p) => p.closed);
    for (const p of closed) expect(p.closed?.code).toBe(CloseCode.SERVICE_RESTART);
    expect(await victim.exited).toBe(0);
    // [S8.1] applied means written and acknowledged before the 1012: a last edit is stored exactly when it was acknowledged.
    const stored = new Set(editsIn(storedText(await readStoredUpdates(databaseUrl, documentId))));
    const next: SyncPeer[] = [];
    for (const [i, p] of peers.entries()) {
      if (!p.closed) {
        next.push(p);
        continue;
      }
      expect(stored.has(`e${i}`), `e${i} stored iff acknowledged`).toBe(p.saved === p.sentUpdateFrames);
      const resumed = await connectThroughProxy(p);
      await resumed.untilSaved(SETTLE_TIMEOUT_MS);
      p.close();
      next.push(resumed);
    }
    peers = next;
    for (let i = 0; i < peers.length; i++) acknowledged.add(`e${i}`);
    const after = await proxiedSockets();
    expect(after.filter((n) => n > 0)).toEqual([SOCKETS]);
    await typeAndSave('f', 1);
    await expectConvergedEverywhere();
  });
});
