/** Anchors follow their text through other people's edits, and say when it was deleted [C2]. */
import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { anchorInType, anchorProblem, anchorRange, anchorState, encodeAnchorPosition } from './comment-anchors.ts';

function paragraphDoc(text: string): { doc: Y.Doc; text: Y.XmlText } {
  const doc = new Y.Doc();
  const p = new Y.XmlElement('paragraph');
  const t = new Y.XmlText(text);
  p.insert(0, [t]);
  doc.getXmlFragment('default').insert(0, [p]);
  return { doc, text: t };
}

/** The other person's copy: a second Y.Doc kept in step by exchanging updates. */
function peerOf(doc: Y.Doc): Y.Doc {
  const peer = new Y.Doc();
  Y.applyUpdate(peer, Y.encodeStateAsUpdate(doc));
  doc.on('update', (u: Uint8Array) => Y.applyUpdate(peer, u));
  peer.on('update', (u: Uint8Array) => Y.applyUpdate(doc, u));
  return peer;
}

const peerText = (peer: Y.Doc) =>
  (peer.getXmlFragment('default').get(0) as Y.XmlElement).get(0) as unknown as Y.XmlText;

describe('comment anchors [C2]', () => {
  it('an anchor follows its text through inserts and deletes by another person', () => {
    const { doc, text } = paragraphDoc('The quick brown fox');
    const anchor = anchorInType(text, 10, 15); // "brown"
    const peer = peerOf(doc);
    peerText(peer).insert(0, 'Today: '); // before the range
    peerText(peer).insert(peerText(peer).length, ' jumps'); // after it
    peerText(peer).delete(7, 4); // "The " before the range
    const range = anchorRange(doc, anchor);
    expect(range).not.toBeNull();
    expect(text.toString().slice(range?.from, range?.to)).toBe('brown');
    expect(anchorState(doc, anchor)).toBe('anchored');
  });

  it('text typed inside the range is part of it; text typed at its edges is not', () => {
    const { doc, text } = paragraphDoc('one two three');
    const anchor = anchorInType(text, 4, 7); // "two"
    const peer = peerOf(doc);
    peerText(peer).insert(5, 'W'); // "tWwo"
    peerText(peer).insert(4, '<'); // just before the start
    const range = anchorRange(doc, anchor);
    expect(text.toString().slice(range?.from, range?.to)).toBe('tWwo');
  });

  it('a thread whose text is deleted by another person is "deleted", never lost', () => {
    const { doc, text } = paragraphDoc('keep this remove that');
    const anchor = anchorInType(text, 10, 16); // "remove"
    const peer = peerOf(doc);
    peerText(peer).delete(10, 7);
    expect(anchorState(doc, anchor)).toBe('deleted');
    expect(anchorState(peer, anchor)).toBe('deleted');
  });

  it('a thread whose whole paragraph is deleted is "deleted"', () => {
    const { doc, text } = paragraphDoc('a paragraph');
    const anchor = anchorInType(text, 2, 11);
    const peer = peerOf(doc);
    peer.getXmlFragment('default').delete(0, 1);
    expect(anchorState(doc, anchor)).toBe('deleted');
  });

  it('accepts an anchor on live text and refuses anchors outside the document [C4]', () => {
    const { doc, text } = paragraphDoc('hello world');
    expect(anchorProblem(doc, anchorInType(text, 0, 5))).toBeNull();
    expect(anchorProblem(doc, { start: 'not base64!', end: 'x' })).toMatch(/relative position/);
    // Positions made in another document name items this one does not have.
    const other = paragraphDoc('something else entirely');
    expect(anchorProblem(doc, anchorInType(other.text, 0, 3))).toMatch(/outside the document/);
    // A root type other than the editor's fragment.
    const elsewhere = encodeAnchorPosition(Y.createRelativePositionFromTypeIndex(doc.getText('other'), 0));
    expect(anchorProblem(doc, { start: elsewhere, end: elsewhere })).toMatch(/outside the document/);
    // Reversed.
    const reversed = anchorInType(text, 5, 0);
    expect(anchorProblem(doc, reversed)).toMatch(/starts after it ends/);
  });
});
