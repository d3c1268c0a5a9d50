/**
 * The seat ledger on Redis: one Lua script per call, so a seat is taken or given back atomically
 * whichever instance asks (the editor cap holds fleet-wide, S5.6). Per document a hash holds each
 * instance's seats (`e:<instance>`), published viewers (`v:`) and waiters (`w:`), plus the ticket
 * counter `t`; a sorted set holds the line (`<instance>|<waiter>` by ticket). Each instance has an
 * alive key with a TTL that every call renews: fields of an instance whose key expired (kill -9)
 * are dropped by the next call on the document, and its waiters as they reach the head of the line.
 *
 * The alive keys are read by name inside the script, outside KEYS: fine on one Redis (what the
 * deployment runs), not on Redis Cluster, where the ledger would need hash tags per document.
 */
import { Redis } from 'ioredis';
import type { FleetCounts, SeatLedger } from '../../sync/ports.ts';

/** Idle documents' keys vanish after a day (each call renews it). */
const DOC_KEY_TTL_MS = 86_400_000;

const SCRIPT = `
local hash, line = KEYS[1], KEYS[2]
local alivePrefix, me, ttl, op = ARGV[1], ARGV[2], ARGV[3], ARGV[4]
redis.call('SET', alivePrefix .. me, '1', 'PX', ttl)
local live = {}
local function isLive(inst)
  local v = live[inst]
  if v == nil then
    v = redis.call('EXISTS', alivePrefix .. inst) == 1
    live[inst] = v
  end
  return v
end
local total, oe, ov, ow = 0, 0, 0, 0
local fields = redis.call('HGETALL', hash)
for i = 1, #fields, 2 do
  local f, n = fields[i], tonumber(fields[i + 1])
  local kind, inst = string.sub(f, 1, 1), string.sub(f, 3)
  if kind == 'e' or kind == 'v' or kind == 'w' then
    if not isLive(inst) then
      redis.call('HDEL', hash, f)
    elseif kind == 'e' then
      total = total + n
      if inst ~= me then oe = oe + n end
    elseif inst ~= me then
      if kind == 'v' then ov = ov + n else ow = ow + n end
    end
  end
end
local function head()
  while true do
    local first = redis.call('ZRANGE', line, 0, 0)[1]
    if first == nil then return nil end
    if isLive(string.match(first, '^(.-)|')) then return first end
    redis.call('ZREM', line, first)
  end
end
local function add(field, by)
  local n = redis.call('HINCRBY', hash, field, by)
  if n < 0 then redis.call('HSET', hash, field, 0) end
end
local function mine()
  local out = {}
  local prefix = me .. '|'
  for _, m in ipairs(redis.call('ZRANGE', line, 0, -1)) do
    if string.sub(m, 1, #prefix) == prefix then out[#out + 1] = m end
  end
  return out
end
local granted = 0
if op == 'claim' then
  local cap, waiter = tonumber(ARGV[5]), ARGV[6]
  if total < cap then
    local first = head()
    if waiter == '' then
      if first == nil then granted = 1 end
    elseif first == me .. '|' .. waiter then
      redis.call('ZREM', line, first)
      add('w:' .. me, -1)
      granted = 1
    end
    if granted == 1 then add('e:' .. me, 1) end
  end
elseif op == 'release' then
  add('e:' .. me, -1)
elseif op == 'enqueue' then
  local ticket = redis.call('HINCRBY', hash, 't', 1)
  if redis.call('ZADD', line, 'NX', ticket, me .. '|' .. ARGV[5]) == 1 then add('w:' .. me, 1) end
elseif op == 'dequeue' then
  if redis.call('ZREM', line, me .. '|' .. ARGV[5]) == 1 then add('w:' .. me, -1) end
elseif op == 'report' then
  redis.call('HSET', hash, 'v:' .. me, ARGV[5])
  if ARGV[6] ~= '' then redis.call('HSET', hash, 'e:' .. me, ARGV[6]) end
  if ARGV[7] == '1' then
    local keep = {}
    for i = 8, #ARGV do keep[me .. '|' .. ARGV[i]] = true end
    for _, m in ipairs(mine()) do
      if keep[m] then keep[m] = nil else redis.call('ZREM', line, m) end
    end
    for i = 8, #ARGV do
      local m = me .. '|' .. ARGV[i]
      if keep[m] then
        redis.call('ZADD', line, 'NX', redis.call('HINCRBY', hash, 't', 1), m)
        keep[m] = nil
      end
    end
    redis.call('HSET', hash, 'w:' .. me, #ARGV - 7)
  end
elseif op == 'forget' then
  redis.call('HDEL', hash, 'e:' .. me, 'v:' .. me, 'w:' .. me)
  for _, m in ipairs(mine()) do redis.call('ZREM', line, m) end
end
redis.call('PEXPIRE', hash, ${DOC_KEY_TTL_MS})
redis.call('PEXPIRE', line, ${DOC_KEY_TTL_MS})
return {granted, oe, ov, ow}`;

type WithScript = Redis & {
  seatLedger(hash: string, line: string, ...args: (string | number)[]): Promise<[number, number, number, number]>;
};

export class RedisSeats implements SeatLedger {
  private readonly redis: WithScript;
  private readonly prefix: string;
  private readonly ttlMs: number;

  constructor(url: string, prefix: string, opts: { ttlMs: number; onError: (err: unknown) => void }) {
    this.prefix = `${prefix}seats:`;
    this.ttlMs = opts.ttlMs;
    // No offline queue: while Redis is away a claim fails at once and the room decides locally.
    const redis = new Redis(url, {
      maxRetriesPerRequest: 1,
      enableOfflineQueue: false,
      connectionName: 'collab-docs:seats',
    });
    redis.on('error', opts.onError);
    redis.defineCommand('seatLedger', { numberOfKeys: 2, lua: SCRIPT });
    this.redis = redis as WithScript;
  }

  async ready(): Promise<void> {
    if (this.redis.status === 'ready') return;
    await new Promise<void>((resolve) => this.redis.once('ready', () => resolve()));
  }

  private async call(
    documentId: string,
    instanceId: string,
    op: string,
    ...args: (string | number)[]
  ): Promise<{ granted: boolean; others: FleetCounts }> {
    const [granted, editors, viewers, waiting] = await this.redis.seatLedger(
      `${this.prefix}doc:${documentId}`,
      `${this.prefix}line:${documentId}`,
      `${this.prefix}alive:`,
      instanceId,
      this.ttlMs,
      op,
      ...args,
    );
    return { granted: granted === 1, others: { editors, viewers, waiting } };
  }

  async heartbeat(instanceId: string): Promise<void> {
    await this.redis.set(`${this.prefix}alive:${instanceId}`, '1', 'PX', this.ttlMs);
  }

  claim(documentId: string, instanceId: string, cap: number, waiter?: string) {
    return this.call(documentId, instanceId, 'claim', cap, waiter ?? '');
  }

  async release(documentId: string, instanceId: string): Promise<FleetCounts> {
    return (await this.call(documentId, instanceId, 'release')).others;
  }

  async enqueue(documentId: string, instanceId: string, waiter: string): Promise<FleetCounts> {
    return (await this.call(documentId, instanceId, 'enqueue', waiter)).others;
  }

  async dequeue(documentId: string, instanceId: string, waiter: string): Promise<FleetCounts> {
    return (await this.call(documentId, instanceId, 'dequeue', waiter)).others;
  }

  async report(
    documentId: string,
    instanceId: string,
    counts: { viewers: number; editors?: number; waiters?: string[] },
  ): Promise<FleetCounts> {
    const waiters = counts.waiters ? ['1', ...counts.waiters] : ['0'];
    return (await this.call(documentId, instanceId, 'report', counts.viewers, counts.editors ?? '', ...waiters)).others;
  }

  async forget(documentId: string, instanceId: string): Promise<void> {
    await this.call(documentId, instanceId, 'forget');
  }

  async retire(instanceId: string): Promise<void> {
    await this.redis.del(`${this.prefix}alive:${instanceId}`);
  }

  async close(): Promise<void> {
    await this.redis.quit().catch(() => undefined);
  }
}
