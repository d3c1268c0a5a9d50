import * as encoding from 'lib0/encoding';
import { describe, expect, it } from 'vitest';
import * as syncProtocol from 'y-protocols/sync';
import * as Y from 'yjs';
import { encodeToken, MessageType } from '../../src/sync/protocol.ts';
import { EMPTY_SYNC_STEP1, tokenFrame } from './early-sync-socket.ts';

// The entry hand-encodes the session's first frames; the session's identical frames are then not
// sent again (editor/adopted-socket.ts), so they must match the real encoders byte for byte.
describe('the early sync socket’s frames [ED5.1]', () => {
  it('encodes TOKEN as the protocol does, for short, long and non-ASCII tokens', () => {
    for (const token of ['t', 'x'.repeat(127), 'x'.repeat(128), `${'a.'.repeat(700)}ł€😀`]) {
      expect(tokenFrame(token)).toEqual(encodeToken(token));
    }
  });

  it('sends the sync step 1 an empty Y.Doc sends', () => {
    const encoder = encoding.createEncoder();
    encoding.writeVarUint(encoder, MessageType.SYNC);
    syncProtocol.writeSyncStep1(encoder, new Y.Doc());
    expect(EMPTY_SYNC_STEP1).toEqual(encoding.toUint8Array(encoder));
  });
});
