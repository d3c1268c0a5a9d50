/**
 * One virtual user of `collab-docs loadtest`: signs up once, then loops the journey a real user
 * makes — log in → list workspaces and documents → open a document over WebSocket (src/client)
 * → type with presence, each keystroke timed until the server acknowledges it durable (SAVED)
 * → search → export — with think time between steps. A user keeps their session across journeys
 * and logs in again every `journeysPerLogin` journeys (or when the access token nears its
 * 15 minutes), as the web app does: logging in on every ~8-second journey made password hashing
 * (scrypt, ~75 ms of a core each) the largest CPU cost of the run and starved everything else.
 * Or only logs in (the `login` journey, for logins per second). Every step is one timed Sample.
 */
import { randomUUID } from 'node:crypto';
import * as Y from 'yjs';
import { SyncClient } from '../../client/sync-client.ts';
import type { Sample } from './stats.ts';

export type JourneyKind = 'full' | 'login';

export type JourneyOptions = {
  baseUrl: string;
  journey: JourneyKind;
  thinkMs: number;
  keystrokes: number;
  /** A full-journey user logs in again every this many journeys (1: every journey). */
  journeysPerLogin: number;
  password: string;
  record: (s: Sample) => void;
  /** Checked between steps: the user stops at the next one. */
  stopped: () => boolean;
  random: () => number;
};

const WORDS = ['budget', 'roadmap', 'launch', 'review', 'quarter', 'design', 'hiring', 'metrics'];
const TIMEOUT_MS = 30_000;
/** Access tokens live 15 minutes: log in again before that, whatever `journeysPerLogin` says. */
const SESSION_MAX_MS = 10 * 60_000;

class StepFailed extends Error {}

export class VirtualUser {
  private readonly o: JourneyOptions;
  private readonly email = `loadtest-${randomUUID()}@loadtest.invalid`;
  private token = '';
  private workspaceId = '';
  private documentId = '';
  private signedUp = false;
  private journeysSinceLogin = 0;
  private loggedInAt = 0;
  private readonly word: string;

  constructor(o: JourneyOptions) {
    this.o = o;
    this.word = WORDS[Math.floor(o.random() * WORDS.length)] as string;
  }

  /** Think time: uniform in [0.5, 1.5) × thinkMs, so users do not march in step. */
  private think(): Promise<void> {
    const ms = this.o.thinkMs * (0.5 + this.o.random());
    return new Promise((r) => setTimeout(r, ms));
  }

  private async step<T>(op: string, fn: () => Promise<T>): Promise<T> {
    const start = performance.now();
    try {
      const value = await fn();
      this.o.record({ t: Date.now(), op, ms: performance.now() - start, ok: true });
      return value;
    } catch (err) {
      this.o.record({ t: Date.now(), op, ms: performance.now() - start, ok: false });
      throw err;
    }
  }

  private async http(method: string, path: string, body?: unknown): Promise<unknown> {
    const res = await fetch(new URL(`/api/v1${path}`, this.o.baseUrl), {
      method,
      headers: {
        ...(this.token && { authorization: `Bearer ${this.token}` }),
        ...(body !== undefined && { 'content-type': 'application/json' }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(TIMEOUT_MS),
    });
    const text = await res.text();
    if (!res.ok) throw new StepFailed(`${method} ${path}: ${res.status} ${text.slice(0, 200)}`);
    return text ? JSON.parse(text) : undefined;
  }

  /** Runs journeys until stopped (or `maxJourneys` ran); a failed step ends that journey and the next begins. */
  async run(maxJourneys = Number.POSITIVE_INFINITY): Promise<void> {
    for (let n = 0; n < maxJourneys && !this.o.stopped(); n++) {
      try {
        await this.journey();
      } catch {
        // Recorded as a failed sample already; a user whose step failed starts over.
      }
      await this.think();
    }
  }

  private async journey(): Promise<void> {
    const credentials = { email: this.email, password: this.o.password };
    if (!this.signedUp) {
      const session = (await this.step('signup', () =>
        this.http('POST', '/auth/signup', { ...credentials, displayName: 'Load Test' }),
      )) as { accessToken: string };
      this.signedUp = true;
      this.token = session.accessToken;
      if (this.o.journey === 'login') return;
      this.loggedInAt = Date.now();
    } else if (
      this.o.journey === 'login' ||
      this.journeysSinceLogin >= this.o.journeysPerLogin ||
      Date.now() - this.loggedInAt > SESSION_MAX_MS
    ) {
      const session = (await this.step('login', () => this.http('POST', '/auth/login', credentials))) as {
        accessToken: string;
      };
      this.token = session.accessToken;
      this.journeysSinceLogin = 0;
      this.loggedInAt = Date.now();
      if (this.o.journey === 'login') return;
    }
    this.journeysSinceLogin++;
    if (!this.workspaceId) {
      const ws = (await this.step('create', () => this.http('POST', '/workspaces', { name: 'Load test' }))) as {
        id: string;
      };
      this.workspaceId = ws.id;
      const doc = (await this.step('create', () =>
        this.http('POST', `/workspaces/${ws.id}/documents`, { title: `Notes on ${this.word}` }),
      )) as { id: string };
      this.documentId = doc.id;
    }
    await this.think();
    if (this.o.stopped()) return;
    // Two requests, two samples: the SLO bounds each request (one sample for both summed them).
    await this.step('list', () => this.http('GET', '/workspaces'));
    await this.step('list', () => this.http('GET', `/workspaces/${this.workspaceId}/documents`));
    await this.think();
    if (this.o.stopped()) return;
    await this.edit();
    await this.think();
    if (this.o.stopped()) return;
    await this.step('search', () =>
      this.http('GET', `/search?q=${encodeURIComponent(this.word)}&workspaceId=${this.workspaceId}`),
    );
    await this.think();
    if (this.o.stopped()) return;
    await this.step('export', () => this.http('POST', `/documents/${this.documentId}/export`, { format: 'markdown' }));
  }

  /** Opens the document, types with presence (each keystroke timed to SAVED), closes. */
  private async edit(): Promise<void> {
    const doc = new Y.Doc();
    const client = new SyncClient({
      url: `${this.o.baseUrl.replace(/^http/, 'ws')}/sync`,
      documentId: this.documentId,
      doc,
      getToken: () => this.token,
      crossTab: false,
    });
    const until = (check: () => boolean) =>
      new Promise<void>((resolve, reject) => {
        if (check()) return resolve();
        const timer = setTimeout(() => {
          client.off('status', onStatus);
          reject(new StepFailed('timed out waiting for the server'));
        }, TIMEOUT_MS);
        const onStatus = () => {
          if (!check()) return;
          clearTimeout(timer);
          client.off('status', onStatus);
          resolve();
        };
        client.on('status', onStatus);
      });
    try {
      await this.step('open', () => until(() => client.status.synced));
      const fragment = doc.getXmlFragment('default');
      let text = fragment.get(fragment.length - 1);
      if (!(text instanceof Y.XmlElement)) {
        const paragraph = new Y.XmlElement('paragraph');
        paragraph.insert(0, [new Y.XmlText()]);
        fragment.insert(fragment.length, [paragraph]);
        text = paragraph;
      }
      const line = (text as Y.XmlElement).get(0) as Y.XmlText;
      const typed = ` ${this.word} `;
      for (let i = 0; i < this.o.keystrokes && !this.o.stopped(); i++) {
        const ch = typed[i % typed.length] as string;
        await this.step('keystroke', async () => {
          line.insert(line.length, ch);
          client.awareness.setLocalStateField('cursor', { anchor: line.length, head: line.length });
          await until(() => client.status.saved);
        });
        await new Promise((r) => setTimeout(r, (this.o.thinkMs / 10) * (0.5 + this.o.random())));
      }
    } finally {
      client.destroy();
      doc.destroy();
    }
  }
}
