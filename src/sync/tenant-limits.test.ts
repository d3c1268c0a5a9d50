/** The sync tier's tenant limiter as pure counting: socket caps and the workspace buckets, on a fake clock. */
import { describe, expect, it } from 'vitest';
import { SyncTenantLimiter, type SyncTenantLimits } from './tenant-limits.ts';

const LIMITS: SyncTenantLimits = {
  maxSocketsPerIp: 3,
  maxSocketsPerUser: 3,
  maxSocketsPerUserPerDoc: 2,
  maxJoiningPerUser: 2,
  workspaceFramesPerSecond: 10,
  workspaceBytesPerSecond: 1_000,
  workspaceBurstSeconds: 2,
  maxMessageBytes: 1_500,
};

function limiter(limits: Partial<SyncTenantLimits> = {}) {
  let now = 0;
  const l = new SyncTenantLimiter({ ...LIMITS, ...limits }, () => now);
  return { l, advance: (ms: number) => (now += ms) };
}

describe('sync tenant limits', () => {
  it('[S7.4] caps sockets per address and gives a slot back exactly once', () => {
    const { l } = limiter();
    const slots = [l.admitAddress('a'), l.admitAddress('a'), l.admitAddress('a')];
    expect(slots.every(Boolean)).toBe(true);
    expect(l.admitAddress('a')).toBeNull();
    expect(l.admitAddress('b')).not.toBeNull();
    slots[0]!.release();
    slots[0]!.release(); // a second release frees nothing more
    expect(l.admitAddress('a')).not.toBeNull();
    expect(l.admitAddress('a')).toBeNull();
  });

  it('[S7.4] caps sockets per user per document, then per user; a refusal holds nothing', () => {
    const { l } = limiter();
    const d1 = [l.admitUser('u', 'd1'), l.admitUser('u', 'd1')];
    expect(d1.every((s) => typeof s === 'object')).toBe(true);
    expect(l.admitUser('u', 'd1')).toBe('user_document_sockets');
    const d2 = l.admitUser('u', 'd2');
    expect(typeof d2).toBe('object');
    expect(l.admitUser('u', 'd3')).toBe('user_sockets');
    expect(typeof l.admitUser('v', 'd1')).toBe('object');
    (d1[0] as { release(): void }).release();
    expect(typeof l.admitUser('u', 'd3')).toBe('object');
    expect(l.counts.userDocuments).toBe(4);
  });

  it('[S7.4] caps the sockets of one user joining at once', () => {
    const { l } = limiter();
    const a = l.admitJoin('u');
    expect(a).not.toBeNull();
    expect(l.admitJoin('u')).not.toBeNull();
    expect(l.admitJoin('u')).toBeNull();
    expect(l.admitJoin('v')).not.toBeNull();
    a!.release();
    expect(l.admitJoin('u')).not.toBeNull();
  });

  it('[S11.7] a workspace spends one second of its CRDT CPU budget, then its rate; others are untouched', () => {
    const { l, advance } = limiter({ workspaceCrdtMsPerSecond: 100 });
    expect(l.crdtOver('w')).toBe(false);
    for (let i = 0; i < 4; i++) l.chargeCrdt('w', 25); // 100 ms: the one-second burst
    expect(l.crdtOver('w')).toBe(false);
    l.chargeCrdt('w', 30);
    expect(l.crdtOver('w')).toBe(true);
    expect(l.crdtOver('other')).toBe(false);
    advance(300); // 30 ms of budget back at 100 ms/s
    expect(l.crdtOver('w')).toBe(false);
    const { l: off } = limiter();
    off.chargeCrdt('w', 10_000);
    expect(off.crdtOver('w')).toBe(false); // no budget configured: never over
  });

  it('[S7.6] a workspace sends its burst, then its rate; other workspaces are untouched', () => {
    const { l, advance } = limiter();
    for (let i = 0; i < 20; i++) expect(l.frame('noisy', 1)).toBeNull();
    expect(l.frame('noisy', 1)).toBe('workspace_frames');
    expect(l.frame('quiet', 1)).toBeNull();
    advance(100); // one frame's worth at 10/s
    expect(l.frame('noisy', 1)).toBeNull();
    expect(l.frame('noisy', 1)).toBe('workspace_frames');
  });

  it('[S7.6] bytes are weighed: the bucket holds at least one largest frame', () => {
    const { l, advance } = limiter();
    // 1,000 B/s for 2 s = 2,000 B bucket (≥ the 1,500 B largest frame).
    expect(l.frame('w', 1_500)).toBeNull();
    expect(l.frame('w', 600)).toBe('workspace_bytes');
    advance(100);
    expect(l.frame('w', 600)).toBeNull();
    // A refused frame costs nothing: neither bucket moved.
    const small = limiter({ workspaceBytesPerSecond: 1_000, workspaceBurstSeconds: 1, maxMessageBytes: 5_000 }).l;
    expect(small.frame('w', 5_000)).toBeNull();
    expect(small.frame('w', 1)).toBe('workspace_bytes');
  });

  it('[S7.11] a user closed for flooding cools down for the configured time; asking does not extend it', () => {
    const { l, advance } = limiter({ limitedCooldownMs: 5_000 });
    expect(l.coolingDown('u')).toBe(0);
    l.coolDown('u');
    expect(l.coolingDown('u')).toBe(5_000);
    expect(l.coolingDown('v')).toBe(0);
    advance(4_000);
    expect(l.coolingDown('u')).toBe(1_000);
    advance(1_000);
    expect(l.coolingDown('u')).toBe(0);
    const off = limiter({ limitedCooldownMs: 0 });
    off.l.coolDown('u');
    expect(off.l.coolingDown('u')).toBe(0);
  });

  it('[S7.12] new sockets per address: a burst at once, then the rate; a refusal says how long to wait', () => {
    const { l, advance } = limiter({ connectsPerSecondPerIp: 2, connectBurstPerIp: 3 });
    expect([l.connectRate('a'), l.connectRate('a'), l.connectRate('a')]).toEqual([0, 0, 0]);
    const wait = l.connectRate('a');
    expect(wait).toBeGreaterThan(0);
    expect(wait).toBeLessThanOrEqual(500);
    expect(l.connectRate('b')).toBe(0);
    advance(wait);
    expect(l.connectRate('a')).toBe(0);
    expect(l.connectRate('a')).toBeGreaterThan(0);
    expect(limiter().l.connectRate('a')).toBe(0); // unset: unlimited
  });
});
