/**
 * The `collab-docs` command line as a person meets it: --version, --help for the tool and each
 * command, and mistakes (unknown command, flag or argument) answered with one line on stderr and
 * exit code 2 — never a stack trace.
 */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const BIN = fileURLToPath(new URL('../bin/collab-docs.js', import.meta.url));
const run = promisify(execFile);
/** Each call starts Node and strips the CLI's types: a few seconds apiece on a loaded machine. */
const CLI_MS = 120_000;
const VERSION = (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string })
  .version;

async function cli(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [BIN, ...args], { timeout: 30_000 });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

describe('collab-docs command line', () => {
  it('prints its version with --version and -v', { timeout: CLI_MS }, async () => {
    for (const flag of ['--version', '-v']) {
      expect(await cli(flag)).toEqual({ code: 0, stdout: `${VERSION}\n`, stderr: '' });
    }
  });

  it('has --help for the tool and for every command', { timeout: CLI_MS }, async () => {
    const top = await cli('--help');
    expect(top.code).toBe(0);
    for (const command of ['serve', 'migrate', 'keys rotate']) expect(top.stdout).toContain(command);
    for (const command of ['serve', 'migrate', 'keys', 'documents']) {
      const help = await cli(command, '--help');
      expect(help.code, command).toBe(0);
      expect(help.stdout, command).toMatch(new RegExp(`^Usage: collab-docs ${command}`));
    }
  });

  it('answers mistakes with one line and exit code 2, without a stack trace', { timeout: CLI_MS }, async () => {
    const cases: Array<[string[], RegExp]> = [
      [['frobnicate'], /unknown command "frobnicate"/],
      [['serve', '--bogus'], /Unknown option '--bogus'/],
      [['--verison'], /Unknown option '--verison'/],
      [['keys'], /"keys" needs one of: rotate/],
      [['keys', 'nope'], /unknown argument "nope" for "keys"/],
      [['migrate', '--role', 'api'], /--role applies to "serve" only/],
      [['documents'], /"documents" needs one of: quarantined, inspect, repair, release/],
      [['documents', 'inspect'], /documents inspect needs one document id/],
      [['documents', 'repair', 'a', 'b'], /documents repair needs one document id/],
    ];
    for (const [args, message] of cases) {
      const { code, stdout, stderr } = await cli(...args);
      expect(code, args.join(' ')).toBe(2);
      expect(stdout).toBe('');
      expect(stderr.trim().split('\n'), args.join(' ')).toHaveLength(1);
      expect(stderr).toMatch(message);
      expect(stderr).not.toMatch(/\n\s+at /);
    }
  });
});
