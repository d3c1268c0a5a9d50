/** Typed domain errors; the HTTP layer maps them to problem+json in one place. */
export type FieldError = { field: string; message: string };

export abstract class DomainError extends Error {
  abstract readonly status: number;
  abstract readonly code: string;
}

export class Invalid extends DomainError {
  readonly status = 400;
  readonly code = 'invalid';
  readonly fields: FieldError[];
  constructor(message: string, fields: FieldError[] = []) {
    super(message);
    this.fields = fields;
  }
}

export class Unauthenticated extends DomainError {
  readonly status = 401;
  readonly code = 'unauthenticated';
}

export class Forbidden extends DomainError {
  readonly status = 403;
  readonly code = 'forbidden';
}

/** Also used for resources the caller may not know exist: no existence leak. */
export class NotFound extends DomainError {
  readonly status = 404;
  readonly code = 'not_found';
}

export class Conflict extends DomainError {
  readonly status = 409;
  readonly code = 'conflict';
}

/**
 * A one-time link (password reset, invitation, invite link) that can no longer be used: expired,
 * already used or revoked. The message says which, in plain words, and what to do instead.
 */
export class Gone extends DomainError {
  readonly status = 410;
  readonly code: string;
  constructor(message: string, code: 'link_expired' | 'link_used' | 'link_revoked' | 'link_unknown') {
    super(message);
    this.code = code;
  }
}

/** The document exists but is in the trash: only restoring or deleting it forever is possible. */
export class InTrash extends DomainError {
  readonly status = 410;
  readonly code = 'in_trash';
}

/** Well-formed, but contradicts what came before (an Idempotency-Key reused for another request). */
export class Unprocessable extends DomainError {
  readonly status = 422;
  readonly code: string;
  constructor(message: string, code = 'unprocessable') {
    super(message);
    this.code = code;
  }
}

/** The resource exists but is locked: a quarantined document (its CRDT data is over budget). */
export class Locked extends DomainError {
  readonly status = 423;
  readonly code = 'quarantined';
}

/** A request body past a size limit the route states (an image upload over IMAGE_MAX_BYTES). */
export class TooLarge extends DomainError {
  readonly status = 413;
  readonly code = 'too_large';
}

/** A request body whose content is not a kind the route accepts (sniffed, not the Content-Type). */
export class UnsupportedMediaType extends DomainError {
  readonly status = 415;
  readonly code = 'unsupported_media_type';
}

export class RateLimited extends DomainError {
  readonly status = 429;
  readonly code = 'rate_limited';
  readonly retryAfterSeconds: number;
  constructor(message: string, retryAfterSeconds: number) {
    super(message);
    this.retryAfterSeconds = Math.max(1, Math.ceil(retryAfterSeconds));
  }
}

export class Unavailable extends DomainError {
  readonly status = 503;
  readonly code = 'unavailable';
  readonly retryAfterSeconds: number;
  constructor(message: string, retryAfterSeconds = 1) {
    super(message);
    this.retryAfterSeconds = retryAfterSeconds;
  }
}
