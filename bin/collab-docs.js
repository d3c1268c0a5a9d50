#!/usr/bin/env node
// Entry point. The project runs on the Node.js 24 pinned in package.json (the `node` package);
// when started by an older system Node, re-run this command with the pinned binary.
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';

const REQUIRED_MAJOR = 24;
const major = Number(process.versions.node.split('.')[0]);

if (major < REQUIRED_MAJOR) {
  const require = createRequire(import.meta.url);
  let pinned;
  try {
    pinned = require.resolve('node/bin/node');
  } catch {
    console.error(`collab-docs needs Node.js ${REQUIRED_MAJOR}; run \`npm install\` to fetch the pinned runtime.`);
    process.exit(1);
  }
  const child = spawn(pinned, [new URL(import.meta.url).pathname, ...process.argv.slice(2)], { stdio: 'inherit' });
  for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => child.kill(signal));
  child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
} else {
  await import('../src/cli.ts');
}
