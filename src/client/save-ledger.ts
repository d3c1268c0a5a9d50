/** Which of a client's local changes the server has made durable (SAVED counts frames; see the class). */
import { carriesUpdate, SyncStep } from '../sync/protocol.ts';

/**
 * Which local changes are durable. A change waits unsent, then rides a numbered update-carrying frame
 * (its own update frame, or the sync step 2 that carries everything unsent), and leaves once SAVED
 * covers that frame, unless the server refused that frame (SAVED covers refused frames too, [S3.2]).
 * Frame numbers restart per connection, as the server's counter does.
 */
export class SaveLedger {
  private unsent = 0;
  private inFlight: { frame: number; changes: number }[] = [];
  /** Frames REJECTED on this connection: their changes wait for the next connection's step 2. */
  private refused: { frame: number; changes: number }[] = [];
  private sent = 0;
  private acked = 0;
  private unclaimedUpdateFrame = 0;
  /** The first step 2 of a connection carries whatever the doc held before we watched it. */
  private firstStep2Frame = 0;
  private baselineSaved = false;

  get pendingChanges(): number {
    const count = (n: number, f: { changes: number }) => n + f.changes;
    return this.refused.reduce(count, this.inFlight.reduce(count, this.unsent));
  }

  get saved(): boolean {
    return (
      this.baselineSaved &&
      this.unsent === 0 &&
      this.inFlight.length === 0 &&
      this.refused.length === 0 &&
      this.acked >= this.sent
    );
  }

  get hasRefused(): boolean {
    return this.refused.length > 0;
  }

  frameSent(frame: Uint8Array): void {
    if (!carriesUpdate(frame)) return;
    this.sent++;
    if (frame[1] === SyncStep.UPDATE) {
      // Only the provider's doc 'update' listener sends these; ours runs next and claims it.
      this.unclaimedUpdateFrame = this.sent;
      return;
    }
    if (this.firstStep2Frame === 0) this.firstStep2Frame = this.sent;
    if (this.unsent > 0) this.inFlight.push({ frame: this.sent, changes: this.unsent });
    this.unsent = 0;
  }

  localChange(): void {
    if (this.unclaimedUpdateFrame > 0) this.inFlight.push({ frame: this.unclaimedUpdateFrame, changes: 1 });
    else this.unsent++;
    this.unclaimedUpdateFrame = 0;
  }

  savedUpTo(count: number): void {
    this.acked = Math.max(this.acked, Math.min(count, this.sent));
    while (this.inFlight.length > 0 && this.inFlight[0]!.frame <= this.acked) this.inFlight.shift();
    const first = this.firstStep2Frame;
    if (first > 0 && this.acked >= first && !this.refused.some((f) => f.frame === first)) this.baselineSaved = true;
  }

  /** REJECTED arrives before the SAVED that covers the refused frame (both follow frame order). */
  refuse(frame: number): void {
    if (frame < 1 || frame > this.sent || this.refused.some((f) => f.frame === frame)) return;
    const i = this.inFlight.findIndex((f) => f.frame === frame);
    const changes = i >= 0 ? this.inFlight.splice(i, 1)[0]!.changes : 0;
    this.refused.push({ frame, changes });
  }

  /** Whatever the closed connection did not get stored must travel again (in the next step 2). */
  connectionEnded(): void {
    this.unsent = this.pendingChanges;
    this.inFlight = [];
    this.refused = [];
    this.sent = this.acked = this.unclaimedUpdateFrame = this.firstStep2Frame = 0;
  }
}
