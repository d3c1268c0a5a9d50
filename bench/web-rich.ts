/// <reference lib="dom" />
/**
 * bench:web's block-heavy document (issue 13): BENCH_WEB_IMAGES distinct images (uploaded through
 * the API, as the editor does) and BENCH_WEB_TABLES tables, written through /sync as TipTap stores
 * them, then opened cold in new browser contexts: the time to an editable document with all of
 * its text, and the time until every image has been fetched with the token and decoded.
 */
import type { Browser } from 'playwright-core';
import * as Y from 'yjs';
import { type Session, signInWithSession } from '../test/support/browser.ts';
import { noisyPng } from '../test/support/image-fixtures.ts';
import { SyncPeer } from '../test/support/sync-peer.ts';

/** Non-space characters of the text written so far (the editor's textContent, without alt texts). */
let written = 0;

const paragraph = (text: string) => {
  written += text.replace(/\s+/g, '').length;
  const p = new Y.XmlElement('paragraph');
  p.insert(0, [new Y.XmlText(text)]);
  return p;
};

function table(n: number): Y.XmlElement {
  const rows = [0, 1, 2, 3].map((r) => {
    const row = new Y.XmlElement('tableRow');
    row.insert(
      0,
      [0, 1, 2].map((c) => {
        const cell = new Y.XmlElement(r === 0 ? 'tableHeader' : 'tableCell');
        cell.insert(0, [paragraph(r === 0 ? `Column ${c + 1}` : `Table ${n + 1} row ${r} cell ${c + 1}`)]);
        return cell;
      }),
    );
    return row;
  });
  const t = new Y.XmlElement('table');
  t.insert(0, rows);
  return t;
}

/** Uploads the images, writes the document and waits for SAVED; returns the text length to wait for. */
export async function writeRichDocument(
  base: string,
  token: string,
  documentId: string,
  images: number,
  tables: number,
): Promise<{ chars: number; imageBytes: number }> {
  const urls: string[] = [];
  let imageBytes = 0;
  for (let i = 0; i < images; i++) {
    const bytes = noisyPng(160, 120, i + 1);
    imageBytes += bytes.byteLength;
    const res = await fetch(`${base}/api/v1/documents/${documentId}/images`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'image/png' },
      body: new Uint8Array(bytes),
    });
    if (res.status !== 201) throw new Error(`image upload: ${res.status} ${await res.text()}`);
    urls.push(((await res.json()) as { url: string }).url);
  }
  written = 0;
  const peer = await SyncPeer.connect(base, documentId, token);
  await peer.untilSynced(30_000);
  const blocks: Y.XmlElement[] = [];
  for (let i = 0; i < Math.max(images, tables); i++) {
    blocks.push(paragraph(`Section ${i + 1}: what the figure and the table below say about the launch.`));
    if (i < images) {
      const image = new Y.XmlElement('image');
      image.setAttribute('src', urls[i] as string);
      image.setAttribute('alt', `Figure ${i + 1}`);
      blocks.push(image);
    }
    if (i < tables) blocks.push(table(i));
  }
  peer.doc.transact(() => peer.doc.getXmlFragment('default').insert(0, blocks));
  await peer.untilSaved(30_000);
  peer.close();
  return { chars: written, imageBytes };
}

const TEXT_READY = (chars: number) => {
  const el = document.querySelector('[data-testid="editor"][contenteditable="true"]');
  return el && (el.textContent ?? '').replace(/\s+/g, '').length >= chars ? performance.now() : false;
};

const IMAGES_READY = (images: number) => {
  const shown = Array.from(
    document.querySelectorAll<HTMLImageElement>('[data-testid="editor"] img[src^="blob:"]'),
  ).filter((img) => img.complete && img.naturalWidth > 0).length;
  return shown >= images ? performance.now() : false;
};

/** Cold opens: [editable with all text, every image shown] in ms from navigation start, per run. */
export async function measureRich(
  browser: Browser,
  base: string,
  session: Session,
  documentId: string,
  want: { chars: number; images: number },
  runs: number,
  log: (msg: string) => void,
): Promise<{ editable: number[]; imagesShown: number[] }> {
  const editable: number[] = [];
  const imagesShown: number[] = [];
  for (let i = 0; i < runs; i++) {
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    const page = await context.newPage();
    await signInWithSession(page, base, session);
    await page.goto(`${base}/d/${documentId}`, { waitUntil: 'commit' });
    const t = await page.waitForFunction(TEXT_READY, want.chars, { timeout: 60_000, polling: 'raf' });
    editable.push((await t.jsonValue()) as number);
    const s = await page.waitForFunction(IMAGES_READY, want.images, { timeout: 120_000, polling: 'raf' });
    imagesShown.push((await s.jsonValue()) as number);
    await context.close();
    log(
      `rich run ${i + 1}/${runs}: editable ${Math.round(editable.at(-1) as number)} ms, images ${Math.round(imagesShown.at(-1) as number)} ms`,
    );
  }
  return { editable, imagesShown };
}
