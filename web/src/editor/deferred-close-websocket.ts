/**
 * The browser's WebSocket, except that closing one still connecting waits for it to open first.
 * Leaving a document right after opening it closes a socket mid-handshake, and the browser then logs
 * "WebSocket is closed before the connection is established" for a close that is entirely normal.
 * The SyncClient has already let go of the socket by then (it ignores a late open), so the only
 * difference is a connection that lives for one more round trip, unauthenticated and silent.
 */
import type { WebSocketConstructor } from '../../../src/client/sync-client.ts';

let deferredClose: WebSocketConstructor | undefined;

export function deferredCloseWebSocket(): WebSocketConstructor {
  deferredClose ??= class DeferredCloseWebSocket extends WebSocket {
    override close(code?: number, reason?: string): void {
      if (this.readyState !== WebSocket.CONNECTING) {
        super.close(code, reason);
        return;
      }
      this.addEventListener('open', () => super.close(code, reason), { once: true });
    }
  };
  return deferredClose;
}
