/**
 * The sync tier's tenant caps every test server starts with (test-app.ts, server-process.ts): high
 * enough for suites that open many sockets from 127.0.0.1 as one user. test/sync-limits.test.ts
 * sets small ones.
 */
export const GENEROUS_SYNC_LIMITS = {
  SYNC_MAX_SOCKETS_PER_IP: '10000000',
  SYNC_CONNECTS_PER_SECOND_PER_IP: '100000000',
  SYNC_CONNECT_BURST_PER_IP: '100000000',
  SYNC_MAX_SOCKETS_PER_USER: '1000000',
  SYNC_MAX_SOCKETS_PER_USER_PER_DOC: '1000000',
  SYNC_MAX_JOINING_PER_USER: '100000',
  SYNC_WORKSPACE_FRAMES_PER_SECOND: '100000000',
  SYNC_WORKSPACE_BYTES_PER_SECOND: '1073741824',
  SYNC_WORKSPACE_CRDT_MS_PER_SECOND: '1000',
  // Suites close a user's socket 4429 on purpose and go on as that user (S7.11 is tested with its own).
  SYNC_LIMITED_COOLDOWN_MS: '0',
};
