/// <reference lib="dom" />
/**
 * Version history in a real browser against the real server (docs/spec/history.md): Alice saves a
 * named version from the history panel, writes more, opens the version (read-only, with what
 * changed highlighted) and restores it while Bob keeps typing in the same paragraph. Both editors
 * converge on the restored text, and Bob's typing is kept: whatever the restore reverted is in the
 * pre-restore version, the rest is still in the document [V5] [V6].
 */
import { describe, expect, it } from 'vitest';
import { browserBackends } from '../support/backends.ts';
import {
  createDocument,
  createWorkspace,
  EDITOR,
  editorText,
  openEditor,
  openPage,
  shareDocument,
  signInWithSession,
  signUpApi,
  typeAtEnd,
  until,
  waitForEditorText,
  waitForStatus,
} from '../support/browser.ts';
import { useBrowserSuite } from '../support/browser-suite.ts';

const SETTLE_MS = 15_000;
const normalize = (s: string) => s.replace(/\s+/g, ' ').trim();

/** One backend for this browser suite (see browserBackends). */
const backends = browserBackends('postgres+redis');

describe.each(backends)('version history in a real browser [$name]', (backend) => {
  const suite = useBrowserSuite(backend);
  const pages = suite.pages;
  const open = async () => {
    const p = await openPage(suite.browser);
    pages.push(p);
    return p;
  };

  it('[V5] restoring a version from the panel while another person types: both see it, their typing survives', {
    timeout: 120_000,
  }, async () => {
    const [alice, bob] = await Promise.all([
      signUpApi(suite.server.url, 'Alice Owner'),
      signUpApi(suite.server.url, 'Bob Typist'),
    ]);
    const ws = await createWorkspace(suite.server.url, alice.accessToken, 'History team');
    const doc = await createDocument(suite.server.url, alice.accessToken, ws.id, 'Plan');
    await shareDocument(suite.server.url, alice.accessToken, doc.id, bob.user.email, 'editor');
    const [a, b] = await Promise.all([open(), open()]);
    await Promise.all([
      signInWithSession(a.page, suite.server.url, alice),
      signInWithSession(b.page, suite.server.url, bob),
    ]);
    await Promise.all([openEditor(a.page, suite.server.url, doc.id), openEditor(b.page, suite.server.url, doc.id)]);

    await typeAtEnd(a.page, 'Hello from Alice.');
    await waitForStatus(a.page, 'Saved', SETTLE_MS);
    await waitForEditorText(b.page, 'Hello from Alice.', SETTLE_MS);

    // Save a named version from the panel (its code loads on the first click).
    await a.page.getByTestId('history-button').click();
    const panel = a.page.getByTestId('history-panel');
    await panel.getByLabel('Version name').fill('First draft');
    await panel.getByRole('button', { name: 'Save version' }).click();
    const item = panel.getByRole('button', { name: /First draft/ });
    await item.waitFor({ timeout: SETTLE_MS });

    // Alice adds a paragraph the restore will take away.
    await typeAtEnd(a.page, '');
    await a.page.keyboard.press('Enter');
    await a.page.keyboard.type('A paragraph to undo.');
    await waitForStatus(a.page, 'Saved', SETTLE_MS);
    await waitForEditorText(b.page, 'A paragraph to undo.', SETTLE_MS);

    // The version opens read-only with what changed since the one before (the first: all added).
    await item.click();
    const shown = panel.getByTestId('history-doc');
    await shown.waitFor({ timeout: SETTLE_MS });
    expect(normalize((await shown.textContent()) ?? '')).toBe('Hello from Alice.');
    expect(await shown.locator('ins').count()).toBeGreaterThan(0);

    // Bob types at the end of the first paragraph, word after word, until the restore reaches him.
    await b.page.locator(EDITOR).click();
    await b.page.keyboard.press('ControlOrMeta+Home');
    await b.page.keyboard.press('End');
    const words: string[] = [];
    let restoredForBob = false;
    const typing = (async () => {
      for (let i = 0; i < 400 && !restoredForBob; i++) {
        const word = ` b${i}`;
        await b.page.keyboard.type(word);
        words.push(word);
        restoredForBob = !(await editorText(b.page)).includes('A paragraph to undo.');
      }
      // A few more once it has arrived, then let everything save.
      for (const word of [' after1', ' after2']) {
        await b.page.keyboard.type(word);
        words.push(word);
      }
    })();
    await panel.getByTestId('history-restore').click();
    const restored = a.page.waitForResponse((r) => r.request().method() === 'POST' && r.url().endsWith('/restore'), {
      timeout: SETTLE_MS,
    });
    await panel.getByTestId('history-confirm-restore').click();
    expect((await restored).status()).toBe(200);
    await typing;
    await waitForStatus(b.page, 'Saved', SETTLE_MS);

    // Both editors converge: the extra paragraph is gone, Bob's words from some point on are there.
    const converged = await until(
      'both editors to show the same restored text',
      async () => [normalize(await editorText(a.page)), normalize(await editorText(b.page))],
      ([ta, tb]) => ta === tb && !ta!.includes('A paragraph to undo.') && ta!.endsWith('after2'),
      SETTLE_MS,
    );
    const text = converged[0]!;
    // The restore's base may fall between two keystrokes: compare character by character.
    const typed = words.join('');
    const kept = [...typed, ''].findIndex((_, i) => text === normalize(`Hello from Alice.${typed.slice(i)}`));
    expect(kept, text).toBeGreaterThanOrEqual(0);
    // What the restore reverted of Bob's typing is in the pre-restore version.
    const list = await fetch(`${suite.server.url}/api/v1/documents/${doc.id}/versions`, {
      headers: { authorization: `Bearer ${alice.accessToken}` },
    }).then((r) => r.json());
    const pre = list.items.find((v: { kind: string }) => v.kind === 'pre-restore');
    const preText = await fetch(`${suite.server.url}/api/v1/documents/${doc.id}/versions/${pre.id}?format=markdown`, {
      headers: { authorization: `Bearer ${alice.accessToken}` },
    }).then((r) => r.text());
    expect(normalize(preText)).toContain(normalize(`Hello from Alice.${typed.slice(0, kept)}`));
    expect(preText).toContain('A paragraph to undo.');
    // The panel lists the restore.
    await panel.getByRole('button', { name: /Restored an earlier version/ }).waitFor({ timeout: SETTLE_MS });
  });
});
