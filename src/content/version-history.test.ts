/**
 * The CRDT work of version history on real Y.Docs [V4] [V5]: a restore's change brings a
 * document back to a version's content as one new update that keeps shared text as the same
 * items (so concurrent typing in it survives), and a comparison names added and removed runs with
 * the client that wrote them.
 */
import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { documentFromProsemirror } from './from-prosemirror.ts';
import { projectDocument } from './projection.ts';
import type { ProseMirrorJson } from './prosemirror-json.ts';
import { compareStates } from './version-compare.ts';
import { revertUpdate } from './version-revert.ts';

const paragraph = (text: string): ProseMirrorJson => ({ type: 'paragraph', content: [{ type: 'text', text }] });
const doc = (...content: ProseMirrorJson[]): ProseMirrorJson => ({ type: 'doc', content });
const textAt = (d: Y.Doc, i: number) => (d.getXmlFragment('default').get(i) as Y.XmlElement).get(0) as Y.XmlText;

describe('revertUpdate [V5]', () => {
  it('restores text, attributes and blocks changed since the version', () => {
    const live = documentFromProsemirror(
      doc(paragraph('Hello world'), { type: 'heading', attrs: { level: 1 }, content: [{ type: 'text', text: 'T' }] }),
    );
    const version = Y.encodeStateAsUpdate(live);
    const wanted = projectDocument(live).content;
    textAt(live, 0).insert(5, ' big');
    textAt(live, 0).delete(0, 2);
    (live.getXmlFragment('default').get(1) as Y.XmlElement).setAttribute('level', 2 as unknown as string);
    live.getXmlFragment('default').insert(2, [new Y.XmlElement('paragraph')]);
    const update = revertUpdate(Y.encodeStateAsUpdate(live), version);
    expect(update).not.toBeNull();
    Y.applyUpdate(live, update!);
    expect(projectDocument(live).content).toEqual(wanted);
  });

  it('is null when the document already has the version’s content', () => {
    const live = documentFromProsemirror(doc(paragraph('same')));
    const state = Y.encodeStateAsUpdate(live);
    expect(revertUpdate(state, state)).toBeNull();
  });

  it('keeps what a collaborator types meanwhile into text the version shares', () => {
    const server = documentFromProsemirror(doc(paragraph('Intro.'), paragraph('Body.')));
    const version = Y.encodeStateAsUpdate(server);
    server.getXmlFragment('default').insert(2, [new Y.XmlElement('paragraph')]);
    const peer = new Y.Doc();
    Y.applyUpdate(peer, Y.encodeStateAsUpdate(server));
    // The restore is computed on the server while the peer, not yet aware of it, types.
    const update = revertUpdate(Y.encodeStateAsUpdate(server), version)!;
    textAt(peer, 0).insert(6, ' typed meanwhile');
    Y.applyUpdate(server, update);
    Y.applyUpdate(server, Y.encodeStateAsUpdate(peer));
    Y.applyUpdate(peer, Y.encodeStateAsUpdate(server));
    expect(projectDocument(server).text).toBe(projectDocument(peer).text);
    expect(projectDocument(server).content).toEqual(doc(paragraph('Intro. typed meanwhile'), paragraph('Body.')));
  });

  it('replaces the differing blocks when the histories do not line up (a repaired document)', () => {
    const version = Y.encodeStateAsUpdate(
      documentFromProsemirror(doc(paragraph('A'), paragraph('old'), paragraph('C'))),
    );
    const live = documentFromProsemirror(doc(paragraph('A'), paragraph('new'), paragraph('C')));
    Y.applyUpdate(live, revertUpdate(Y.encodeStateAsUpdate(live), version)!);
    expect(projectDocument(live).content).toEqual(doc(paragraph('A'), paragraph('old'), paragraph('C')));
  });
});

describe('compareStates [V4]', () => {
  it('marks added and removed runs with the client that wrote them', () => {
    const d = documentFromProsemirror(doc(paragraph('Hello world')));
    const writer = d.clientID;
    const older = Y.encodeStateAsUpdate(d);
    const editor = new Y.Doc();
    Y.applyUpdate(editor, older);
    textAt(editor, 0).delete(0, 6);
    textAt(editor, 0).insert(5, ' again');
    const c = compareStates(older, Y.encodeStateAsUpdate(editor));
    expect(c.blocks).toEqual([
      {
        type: 'paragraph',
        status: 'same',
        segments: [
          { text: 'Hello ', status: 'removed', clientId: writer },
          { text: 'world', status: 'same' },
          { text: ' again', status: 'added', clientId: editor.clientID },
        ],
      },
    ]);
    expect(c.added).toBe(6);
    expect(c.removed).toBe(6);
    expect(c.clients.sort()).toEqual([writer, editor.clientID].sort());
  });

  it('shows a removed list item as a removed block, and the first version as all added', () => {
    const d = documentFromProsemirror(
      doc(paragraph('keep'), { type: 'bulletList', content: [{ type: 'listItem', content: [paragraph('item')] }] }),
    );
    const older = Y.encodeStateAsUpdate(d);
    d.getXmlFragment('default').delete(1, 1);
    const c = compareStates(older, Y.encodeStateAsUpdate(d));
    expect(c.blocks.map((b) => [b.status, b.segments.map((s) => s.text).join('')])).toEqual([
      ['same', 'keep'],
      ['removed', 'item'],
    ]);
    expect(compareStates(null, older).blocks.every((b) => b.status === 'added')).toBe(true);
  });
});
