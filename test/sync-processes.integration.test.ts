/**
 * One pod over two cores (spec S10.2): `collab-docs serve` with SYNC_PROCESSES=2 on one
 * PostgreSQL and one Redis — a supervisor and two server processes sharing the port with
 * SO_REUSEPORT. Sockets of one document opened through the one port land on both processes (seen
 * in the pod's `/metrics`, labelled by process); edits from both converge with SAVED
 * acknowledgements; `kill -9` of one process: it is restarted and its clients reconnect with no
 * acknowledged edit lost; SIGTERM to the supervisor closes every socket 1012 and exits 0; a
 * supervisor killed with `kill -9` leaves no process serving behind it (each drains with 1012).
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parsePrometheus } from '../bench/support/prometheus.ts';
import { CloseCode } from '../src/sync/close-codes.ts';
import { createTestDatabase, realServersConfigured } from './support/backends.ts';
import { editsIn, eventually as waitFor } from './support/eventually.ts';
import { ownerWithDocument, type ServerProcess, startServerProcess } from './support/server-process.ts';
import { readStoredUpdates, storedText } from './support/stored-updates.ts';
import { resumeClosedPeers, type SyncPeer } from './support/sync-peer.ts';
import { connectRetrying } from './support/sync-resume.ts';

const PROCESSES = 2;
const SOCKETS = 40;
const EDITS_PER_PEER = 3;
const SETTLE_TIMEOUT_MS = 20_000;
const RECONNECT_ATTEMPTS = 20;
const RECONNECT_BACKOFF_MS = 100;
const POLL_MS = 50;
/** Start-up includes migrations in two processes at once (they wait on a lock); the machine may be busy. */
const READY_TIMEOUT_MS = 180_000;

const yieldToNetwork = () => new Promise((r) => setImmediate(r));

const eventually = (what: string, probe: () => Promise<boolean> | boolean, timeoutMs = SETTLE_TIMEOUT_MS) =>
  waitFor(what, probe, timeoutMs, POLL_MS);

type Sample = ReturnType<typeof parsePrometheus>[number];

/** One scrape of the pod, through the shared port (whichever process the kernel picks answers). */
async function scrape(base: string): Promise<Sample[]> {
  const res = await fetch(`${base}/metrics`);
  expect(res.status).toBe(200);
  return parsePrometheus(await res.text());
}

const seriesValue = (samples: Sample[], name: string, processLabel: string): number =>
  samples.find((s) => s.name === name && s.labels.process === processLabel)?.value ?? 0;

/** The pids of the listening server processes by slot, from the supervisor's structured log. */
function childPids(output: string): Map<number, number> {
  const pids = new Map<number, number>();
  for (const line of output.split('\n')) {
    if (!line.includes('"child_listening"')) continue;
    const entry = JSON.parse(line) as { slot: number; pid: number };
    pids.set(entry.slot, entry.pid);
  }
  return pids;
}

// Several processes cannot share the embedded database: PostgreSQL and Redis are required.
describe.skipIf(!realServersConfigured)('SYNC_PROCESSES=2: one pod, two processes on one port [postgres+redis]', () => {
  let databaseUrl: string;
  let dropDatabase: (() => Promise<void>) | undefined;
  let dataDir: string;
  let server: ServerProcess;
  let token: string;
  let documentId: string;
  let peers: SyncPeer[] = [];
  /** Every edit some peer has seen acknowledged (SAVED): none of them may ever be lost. */
  const acknowledged = new Set<string>();

  beforeAll(async () => {
    const db = await createTestDatabase();
    databaseUrl = db.url;
    dropDatabase = db.drop;
    dataDir = mkdtempSync(join(tmpdir(), 'collab-docs-processes-'));
    server = await startServerProcess(
      {
        DATABASE_URL: db.url,
        REDIS_URL: process.env.REDIS_URL as string,
        REDIS_PREFIX: `procs:${randomBytes(4).toString('hex')}:`,
        DATA_DIR: dataDir,
        SYNC_PROCESSES: String(PROCESSES),
        DB_POOL_ACQUIRE_TIMEOUT_MS: '10000',
        SYNC_MESSAGES_PER_SECOND: '100000',
        SYNC_MESSAGE_BURST: '100000',
      },
      READY_TIMEOUT_MS,
    );
    // /readyz answers once one process listens; wait for both.
    await eventually('both processes listening', () => childPids(server.output()).size === PROCESSES, READY_TIMEOUT_MS);

    ({ token, documentId } = await ownerWithDocument(server.url, {
      person: 'Procs',
      workspace: 'Cores',
      document: 'hot',
    }));
  }, 300_000);

  afterAll(async () => {
    for (const p of peers) p.close();
    if (server) {
      for (const pid of childPids(server.output()).values()) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // Already gone.
        }
      }
      await server.stop('SIGKILL');
    }
    await dropDatabase?.();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  /** Opens a socket on the shared port like a reconnecting client: retried with backoff until it syncs. */
  function connect(previous?: SyncPeer): Promise<SyncPeer> {
    return connectRetrying(server.url, documentId, token, previous, {
      attempts: RECONNECT_ATTEMPTS,
      backoffMs: RECONNECT_BACKOFF_MS,
      via: 'to the shared port',
    });
  }

  async function socketsPerProcess(): Promise<number[]> {
    const samples = await scrape(server.url);
    return Array.from({ length: PROCESSES }, (_, slot) => seriesValue(samples, 'sync_open_sockets', String(slot)));
  }

  /** Each peer types `n` edits named after itself; resolves once every peer holds SAVED for all it sent. */
  async function typeAndSave(label: string, n: number): Promise<void> {
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
  }

  async function expectConverged(): Promise<void> {
    const holdsAll = (text: string) => {
      const present = new Set(editsIn(text));
      return [...acknowledged].every((e) => present.has(e));
    };
    await Promise.all(
      peers.map((p) => p.until(() => holdsAll(p.text()), SETTLE_TIMEOUT_MS, 'every acknowledged edit')),
    );
    const reference = peers[0]!.text();
    for (const p of peers) expect(p.text()).toBe(reference);
    expect(new Set(editsIn(reference)).size).toBe(editsIn(reference).length);
  }

  it('[S10.2] sockets of one document on the one port land on both processes, /metrics shows each, edits converge with SAVED', {
    timeout: 120_000,
  }, async () => {
    for (let i = 0; i < SOCKETS; i++) peers.push(await connect());
    const perProcess = await socketsPerProcess();
    console.info(`[S10.2] ${SOCKETS} sockets of one document per process: ${perProcess.join(' / ')}`);
    expect(perProcess.reduce((a, b) => a + b, 0)).toBe(SOCKETS);
    // The kernel hashes each connection's 4-tuple: 40 all on one process has odds of 2^-39.
    for (const n of perProcess) expect(n).toBeGreaterThan(0);
    // The supervisor's own series are in the same scrape.
    const samples = await scrape(server.url);
    expect(seriesValue(samples, 'supervisor_children', 'supervisor')).toBe(PROCESSES);

    await typeAndSave('a', EDITS_PER_PEER);
    await expectConverged();
  });

  it('[S10.2][S3.5] kill -9 of one process: it is restarted, its clients reconnect, no acknowledged edit lost', {
    timeout: 120_000,
  }, async () => {
    const before = childPids(server.output());
    const victimPid = before.get(0)!;
    const victimSockets = (await socketsPerProcess())[0]!;
    await typeAndSave('b', 1);
    // A last burst the victim may not get to acknowledge: its clients re-send it on reconnect.
    for (const [i, p] of peers.entries()) p.type(`c${i};`);
    process.kill(victimPid, 'SIGKILL');

    await eventually('the victim’s sockets closed', () => peers.filter((p) => p.closed).length === victimSockets);
    peers = await resumeClosedPeers(peers, connect, SETTLE_TIMEOUT_MS);
    for (let i = 0; i < peers.length; i++) acknowledged.add(`c${i}`);
    const burst = peers.map((_, i) => `c${i}`);
    await Promise.all(
      peers.map((p) => p.until(() => burst.every((e) => p.text().includes(`${e};`)), SETTLE_TIMEOUT_MS, 'the burst')),
    );

    // The supervisor restarted slot 0 as a new process, and counted it.
    await eventually('slot 0 restarted', () => {
      const pid = childPids(server.output()).get(0);
      return pid !== undefined && pid !== victimPid;
    });
    const samples = await scrape(server.url);
    expect(seriesValue(samples, 'supervisor_child_restarts_total', 'supervisor')).toBe(1);
    expect(server.output()).toContain('"event":"child_exited"');

    await typeAndSave('d', 1);
    await expectConverged();
    const stored = new Set(editsIn(storedText(await readStoredUpdates(databaseUrl, documentId))));
    for (const e of acknowledged) expect(stored.has(e), `stored ${e}`).toBe(true);
  });

  it('[S10.2][S8.1] SIGTERM to the supervisor: every process drains, sockets closed 1012, exit 0', {
    timeout: 120_000,
  }, async () => {
    // Some sockets on the restarted process too, so both processes have clients to drain.
    for (let i = 0; i < 10; i++) peers.push(await connect());
    const perProcess = await socketsPerProcess();
    for (const n of perProcess) expect(n).toBeGreaterThan(0);
    for (const [i, p] of peers.entries()) p.type(`e${i};`);
    server.child.kill('SIGTERM');
    expect(await server.exited).toBe(0);
    await eventually('every socket closed', () => peers.every((p) => p.closed !== undefined));
    for (const p of peers) expect(p.closed?.code).toBe(CloseCode.SERVICE_RESTART);
    // [S8.1] what was acknowledged before the 1012 is stored.
    const stored = new Set(editsIn(storedText(await readStoredUpdates(databaseUrl, documentId))));
    for (const [i, p] of peers.entries()) {
      if (p.saved === p.sentUpdateFrames) expect(stored.has(`e${i}`), `e${i} stored`).toBe(true);
    }
    for (const pid of childPids(server.output()).values()) {
      expect(() => process.kill(pid, 0), `process ${pid} gone`).toThrow();
    }
  });
});

describe.skipIf(!realServersConfigured)('SYNC_PROCESSES=2: the supervisor killed with kill -9 [postgres+redis]', () => {
  let dropDatabase: (() => Promise<void>) | undefined;
  let dataDir: string;
  let server: ServerProcess;
  let pids: number[] = [];

  afterAll(async () => {
    for (const pid of pids) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // Already gone (the expected case).
      }
    }
    await dropDatabase?.();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  it('[S10.2][S8.1] its processes notice, drain (sockets closed 1012) and exit: none keeps serving unsupervised', {
    timeout: 300_000,
  }, async () => {
    const db = await createTestDatabase();
    dropDatabase = db.drop;
    dataDir = mkdtempSync(join(tmpdir(), 'collab-docs-orphans-'));
    server = await startServerProcess(
      {
        DATABASE_URL: db.url,
        REDIS_URL: process.env.REDIS_URL as string,
        REDIS_PREFIX: `orphans:${randomBytes(4).toString('hex')}:`,
        DATA_DIR: dataDir,
        SYNC_PROCESSES: String(PROCESSES),
      },
      READY_TIMEOUT_MS,
    );
    await eventually('both processes listening', () => childPids(server.output()).size === PROCESSES, READY_TIMEOUT_MS);
    pids = [...childPids(server.output()).values()];
    const { token, documentId } = await ownerWithDocument(server.url, {
      person: 'Orphan',
      workspace: 'Cores',
      document: 'left',
    });
    const peers: SyncPeer[] = [];
    for (let i = 0; i < 8; i++) {
      peers.push(
        await connectRetrying(server.url, documentId, token, undefined, {
          attempts: RECONNECT_ATTEMPTS,
          backoffMs: RECONNECT_BACKOFF_MS,
          via: 'to the shared port',
        }),
      );
    }

    await server.stop('SIGKILL');
    await eventually('every socket closed', () => peers.every((p) => p.closed !== undefined));
    for (const p of peers) expect(p.closed?.code).toBe(CloseCode.SERVICE_RESTART);
    await eventually('both processes exited', () =>
      pids.every((pid) => {
        try {
          process.kill(pid, 0);
          return false;
        } catch {
          return true;
        }
      }),
    );
    await expect(fetch(`${server.url}/livez`)).rejects.toThrow();
  });
});
