/**
 * A Gotenberg-compatible HTML → PDF service for the integration test, built on the real thing
 * Gotenberg wraps: Debian's Chromium driven by playwright-core. It accepts the same multipart
 * form (`files`: index.html, optional footer.html; `preferCssPageSize`, `printBackground`) on
 * `POST /forms/chromium/convert/html` and prints with Chromium's own printToPDF, so the test
 * exercises our print HTML, stylesheet and footer in a real browser. Listens on 127.0.0.1 only.
 */
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import { type Browser, chromium } from 'playwright-core';

export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--no-first-run'];

export type ChromiumPdfService = { url: string; conversions: number; stop(): Promise<void> };

export async function startChromiumPdfService(): Promise<ChromiumPdfService> {
  if (!existsSync(CHROMIUM_PATH)) {
    throw new Error(`Chromium not found at ${CHROMIUM_PATH}: apt-get install chromium, or set CHROMIUM_PATH`);
  }
  const browser = await chromium.launch({ executablePath: CHROMIUM_PATH, headless: true, args: CHROMIUM_ARGS });
  const state = { conversions: 0 };
  const server = createServer((req, res) => {
    convert(browser, req, res, () => state.conversions++).catch((err: unknown) => {
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' });
      res.end(err instanceof Error ? err.message : String(err));
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    get conversions() {
      return state.conversions;
    },
    async stop() {
      await closeServer(server);
      await browser.close();
    },
  };
}

async function convert(
  browser: Browser,
  req: IncomingMessage,
  res: ServerResponse,
  converted: () => void,
): Promise<void> {
  if (req.method !== 'POST' || req.url !== '/forms/chromium/convert/html') {
    res.writeHead(404).end();
    return;
  }
  // undici parses multipart/form-data exactly as a server framework would.
  const form = await new Request('http://service.local/', {
    method: 'POST',
    headers: req.headers as Record<string, string>,
    body: Readable.toWeb(req) as ReadableStream,
    duplex: 'half',
  } as RequestInit).formData();
  const files = form.getAll('files').filter((file): file is File => typeof file !== 'string');
  const index = files.find((file) => file.name === 'index.html');
  if (index === undefined) {
    res.writeHead(400, { 'content-type': 'text/plain' }).end('index.html is required');
    return;
  }
  const footer = files.find((file) => file.name === 'footer.html');
  const page = await browser.newPage();
  try {
    await page.setContent(await index.text(), { waitUntil: 'load' });
    const pdf = await page.pdf({
      preferCSSPageSize: form.get('preferCssPageSize') === 'true',
      printBackground: form.get('printBackground') === 'true',
      displayHeaderFooter: footer !== undefined,
      headerTemplate: '<span></span>',
      footerTemplate: footer === undefined ? undefined : await footer.text(),
    });
    converted();
    res.writeHead(200, { 'content-type': 'application/pdf', 'content-length': pdf.byteLength }).end(pdf);
  } finally {
    await page.close();
  }
}

async function closeServer(server: Server): Promise<void> {
  server.closeAllConnections();
  server.close();
  await once(server, 'close');
}
