/** Counting an update's CRDT cost before it is applied [S11.1] [S11.3], against the adversarial generator. */
import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import {
  baseParagraph,
  concurrentInserts,
  deepNesting,
  hugeDelete,
  mapKeyConflicts,
} from '../../test/support/adversarial-updates.ts';
import { inspectUpdate } from './crdt-inspect.ts';
import { maxNestingDepth } from './prosemirror-json.ts';

const LIMITS = {
  maxStructsPerUpdate: 100_000,
  maxConcurrentInserts: 64,
  maxDepth: maxNestingDepth,
  maxIntegrationSteps: 200_000,
};

function docWith(...updates: Uint8Array[]): Y.Doc {
  const doc = new Y.Doc();
  for (const u of updates) Y.applyUpdate(doc, u);
  return doc;
}

describe('inspectUpdate', () => {
  it('[S11.1] passes ordinary typing, a large paste and concurrent typing by a few people', () => {
    const base = baseParagraph();
    const doc = docWith(base);
    const typist = new Y.Doc();
    Y.applyUpdate(typist, base);
    const typed: Uint8Array[] = [];
    typist.on('update', (u: Uint8Array) => typed.push(u));
    const text = (typist.getXmlFragment('default').get(0) as Y.XmlElement).get(0) as Y.XmlText;
    for (let i = 0; i < 200; i++) text.insert(i % 7, 'a', i % 3 === 0 ? { bold: true } : {});
    for (const u of typed) {
      const v = inspectUpdate(doc, u, LIMITS);
      expect(v.ok).toBe(true);
      Y.applyUpdate(doc, u);
    }
    const paste = new Y.Doc();
    const paragraphs = Array.from({ length: 500 }, (_, i) => {
      const p = new Y.XmlElement('paragraph');
      p.insert(0, [new Y.XmlText(`paragraph ${i} `.repeat(20))]);
      return p;
    });
    paste.getXmlFragment('default').insert(0, paragraphs);
    expect(inspectUpdate(doc, Y.encodeStateAsUpdate(paste), LIMITS).ok).toBe(true);
    const fewAtOnce = concurrentInserts(8, { base });
    const v = inspectUpdate(doc, fewAtOnce, LIMITS);
    expect(v.ok).toBe(true);
    expect(v.cost.maxConcurrent).toBe(8);
  });

  it('[S11.1] refuses many clients inserting at one position (the 17.5 s freeze), whatever the size', () => {
    for (const n of [65, 2_000, 26_000]) {
      const v = inspectUpdate(docWith(baseParagraph()), concurrentInserts(n), LIMITS);
      expect(v).toMatchObject({ ok: false, action: 'refuse' });
      expect(v.cost.maxConcurrent).toBe(n);
    }
  });

  it('[S11.1] refuses concurrent writes of one attribute, deep nesting and oversized updates', () => {
    expect(inspectUpdate(docWith(baseParagraph()), mapKeyConflicts(500), LIMITS)).toMatchObject({
      ok: false,
      action: 'refuse',
    });
    const deep = inspectUpdate(new Y.Doc(), deepNesting(maxNestingDepth + 5), LIMITS);
    expect(deep).toMatchObject({ ok: false, action: 'refuse' });
    expect(deep.ok || deep.reason).toMatch(/nests/);
    expect(inspectUpdate(new Y.Doc(), deepNesting(20), LIMITS).ok).toBe(true);
    const big = inspectUpdate(new Y.Doc(), hugeDelete(4_000), { ...LIMITS, maxStructsPerUpdate: 1_000 });
    expect(big).toMatchObject({ ok: false, action: 'refuse' });
    expect(big.ok || big.reason).toMatch(/structs/);
  });

  it('[S11.1] a huge delete set is linear to inspect and within the limits', () => {
    const v = inspectUpdate(new Y.Doc(), hugeDelete(20_000), LIMITS);
    expect(v.ok).toBe(true);
    expect(v.cost.deleteRanges).toBeGreaterThan(1_000);
  });

  it('[S11.3] an ordinary insert where a pile-up was built frame by frame asks for quarantine', () => {
    const base = baseParagraph();
    const doc = docWith(base);
    // 64 at a time stays under the per-update limit; 80 such frames pile 5,120 items at one position.
    for (let i = 0; i < 80; i++) {
      const frame = concurrentInserts(64, { base, firstClient: 10_000 + i * 64 });
      const v = inspectUpdate(doc, frame, { ...LIMITS, maxIntegrationSteps: 10_000_000 });
      expect(v.ok).toBe(true);
      Y.applyUpdate(doc, frame);
    }
    // Yjs orders concurrent inserts by client id: a newcomer with a higher id walks past the whole
    // pile, one with a lower id stops at once — the count follows the same rule.
    const walker = concurrentInserts(1, { base, firstClient: 9_000_000 });
    const v = inspectUpdate(doc, walker, { ...LIMITS, maxIntegrationSteps: 1_000 });
    expect(v).toMatchObject({ ok: false, action: 'quarantine' });
    expect(v.cost.documentSteps).toBeGreaterThan(1_000);
    const stopper = concurrentInserts(1, { base, firstClient: 99 });
    expect(inspectUpdate(doc, stopper, { ...LIMITS, maxIntegrationSteps: 1_000 }).cost.documentSteps).toBeLessThan(2);
    // Elsewhere in the same document, edits stay cheap.
    const elsewhere = concurrentInserts(1, { base, index: 8, firstClient: 98 });
    expect(inspectUpdate(doc, elsewhere, { ...LIMITS, maxIntegrationSteps: 1_000 }).ok).toBe(true);
  });

  it('throws on bytes that are not an update (the caller closes 4400)', () => {
    expect(() => inspectUpdate(new Y.Doc(), new Uint8Array([255, 255, 255, 255, 255]), LIMITS)).toThrow();
  });
});
