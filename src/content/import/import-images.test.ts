import { describe, expect, it } from 'vitest';
import { png } from '../../../test/support/image-fixtures.ts';
import type { ProseMirrorJson } from '../prosemirror-json.ts';
import { ImportImageCollector, type ImportImageRules, importedImageUrl } from './import-images.ts';

const DOC_ID = '0190f0b4-0000-7000-8000-000000000001';
const rules = (over: Partial<ImportImageRules> = {}): ImportImageRules => ({
  documentId: DOC_ID,
  apiPrefix: '/api/v1',
  maxBytes: 1_000_000,
  remainingBytes: null,
  maxImages: 10,
  ...over,
});
const docOf = (srcs: string[]): ProseMirrorJson => ({
  type: 'doc',
  content: srcs.map((src) => ({ type: 'image', attrs: { src, alt: null, title: null } })),
});
const kinds = (doc: ProseMirrorJson) =>
  (doc.content ?? []).map((n) => (n.type === 'image' ? String(n.attrs?.src) : (n.content?.[0]?.text ?? '')));

describe('images inside imported files [I4]', () => {
  it('gives each distinct image one id and URL in the new document; the same bytes twice are one image', async () => {
    const c = new ImportImageCollector();
    const a = c.add(png(2, 2));
    const again = c.fromSrc(`data:image/png;base64,${png(2, 2).toString('base64')}`)!;
    const doc = docOf([a, again]);
    const { images, notes } = await c.resolve(doc, rules());
    expect(notes).toBe(0);
    expect(images).toHaveLength(1);
    expect(images[0]).toMatchObject({ type: 'image/png', width: 2, height: 2 });
    const url = importedImageUrl('/api/v1', DOC_ID, images[0]!.id);
    expect(kinds(doc)).toEqual([url, url]);
  });

  it('leaves remote images out and notes the ones past the workspace space, the per-import count or unreadable', async () => {
    const c = new ImportImageCollector();
    expect(c.fromSrc('https://example.com/a.png')).toBeUndefined();
    expect(c.fromSrc('/relative.png')).toBeUndefined();
    const first = c.add(png(3, 3, [1, 2, 3]));
    const second = c.add(png(3, 3, [4, 5, 6]));
    const broken = c.fromSrc('data:image/png;base64,%%%')!;
    const doc = docOf([first, second, broken]);
    const { images, notes } = await c.resolve(doc, rules({ remainingBytes: png(3, 3).byteLength + 10 }));
    expect(images).toHaveLength(1);
    expect(notes).toBe(2);
    expect(kinds(doc).slice(1)).toEqual([
      "[Image 2 was not imported: the workspace's image space is used up.]",
      '[Image 3 was not imported: its data could not be read.]',
    ]);
    const capped = new ImportImageCollector();
    const d2 = docOf([capped.add(png(2, 2, [9, 9, 9])), capped.add(png(2, 2, [8, 8, 8]))]);
    expect((await capped.resolve(d2, rules({ maxImages: 1 }))).notes).toBe(1);
    expect(kinds(d2)[1]).toBe('[Image 2 was not imported: one import brings at most 1 images.]');
  });
});
