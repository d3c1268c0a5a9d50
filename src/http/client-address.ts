/**
 * The client's address for requests Fastify does not route (the sync endpoint's WebSocket
 * upgrades), by the same TRUST_PROXY rule Fastify applies to the API: X-Forwarded-For is believed
 * only from trusted proxies (@fastify/proxy-addr, what Fastify itself uses).
 */
import type { IncomingMessage } from 'node:http';
import proxyAddr from '@fastify/proxy-addr';
import { trustProxySetting } from './server.ts';

export function clientAddressOf(trustProxy: string): (req: IncomingMessage) => string {
  const setting = trustProxySetting(trustProxy);
  const trust = setting === true ? () => true : setting === false ? () => false : proxyAddr.compile(setting);
  return (req) => proxyAddr(req, trust) || 'unknown';
}
