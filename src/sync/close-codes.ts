/**
 * WebSocket close codes the sync endpoint uses, in one place (clients switch on them).
 * 4xxx mirror HTTP statuses so a reader can guess them; 1012 is the standard "service restart".
 */
export const CloseCode = {
  /** Server shutting down or restarting: reconnect (with jitter), probably to another instance. */
  SERVICE_RESTART: 1012,
  /** Frame larger than the limit (ws closes with this itself when maxPayload is exceeded). */
  MESSAGE_TOO_BIG: 1009,
  /** Malformed frame or Yjs update: the document is untouched; do not resend the same bytes. */
  BAD_MESSAGE: 4400,
  /** No token, a bad token, or the session expired without a refresh: log in again. */
  UNAUTHORIZED: 4401,
  /** Access to the document was removed while connected (or never existed for this user). */
  FORBIDDEN: 4403,
  /** The document does not exist or was deleted. */
  NOT_FOUND: 4404,
  /**
   * An update whose CRDT cost is over budget (too many items, too many inserted at one position,
   * nesting too deep): the document is untouched; do not resend the same bytes.
   */
  TOO_COMPLEX: 4413,
  /**
   * The document is quarantined: its CRDT data cannot be served within budget. An operator must
   * repair or release it; reconnecting before that is refused again.
   */
  QUARANTINED: 4423,
  /**
   * The document was repaired (re-created from its content) after this copy was made: a frame
   * carries its old history. Drop the local copy and load the document again.
   */
  RESET: 4409,
  /** The document was moved to the trash (HTTP 410): restoring it makes it openable again. */
  IN_TRASH: 4410,
  /** No message or pong within the idle timeout. */
  IDLE_TIMEOUT: 4408,
  /** Too many messages per second on this socket. */
  RATE_LIMITED: 4429,
  /** The client did not read fast enough; its send buffer passed the hard limit. Resync on reconnect. */
  TOO_SLOW: 4508,
  /** The server cannot load or save this document right now; retry later. */
  UNAVAILABLE: 4503,
} as const;

export type CloseCodeName = keyof typeof CloseCode;

/** Codes after which reconnecting with the same credentials cannot succeed. */
export const TERMINAL_CLOSE_CODES: ReadonlySet<number> = new Set([
  CloseCode.BAD_MESSAGE,
  CloseCode.UNAUTHORIZED,
  CloseCode.FORBIDDEN,
  CloseCode.NOT_FOUND,
  CloseCode.TOO_COMPLEX,
  CloseCode.QUARANTINED,
  CloseCode.RESET,
  CloseCode.IN_TRASH,
]);

const NAMES = new Map<number, string>(Object.entries(CloseCode).map(([k, v]) => [v, k.toLowerCase()]));

/** Metric label for a close code. */
export function closeReasonLabel(code: number): string {
  return NAMES.get(code) ?? (code === 1000 ? 'normal' : code === 1001 ? 'going_away' : String(code));
}

/** A client frame the room refuses: the transport closes the socket with `code`. */
export class ProtocolError extends Error {
  readonly code: number;
  /** Set when a tenant limit refused the frame (metric label; logged at warn). */
  readonly limit: string | undefined;
  constructor(code: number, message: string, limit?: string) {
    super(message);
    this.code = code;
    this.limit = limit;
  }
}
