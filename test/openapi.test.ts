/**
 * The OpenAPI document is correct and linted: Redocly's recommended ruleset (redocly.yaml) finds
 * no error and no warning, and the rules clients rely on hold for every operation (who needs a
 * token, how errors are sent, ids and summaries). Real responses are checked against it in
 * openapi-responses.test.ts.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backends } from './support/backends.ts';
import { fetchOpenApi, type OpenApiDocument, operationsOf } from './support/openapi.ts';
import { startTestApp, type TestApp } from './support/test-app.ts';

const REPO = resolve(import.meta.dirname, '..');
const REDOCLY_CLI = join(dirname(createRequire(import.meta.url).resolve('@redocly/cli/package.json')), 'bin/cli.js');
/** Operations anyone may call: the document's global bearer requirement must not cover them. */
const PUBLIC_OPERATIONS = [
  'signUp',
  'logIn',
  'refreshSession',
  'logOut',
  'requestPasswordReset',
  'confirmPasswordReset',
  'confirmEmailChange',
  'previewInvitation',
  'getLiveness',
  'getReadiness',
  'getJwks',
];
/** 202s that queue only an email (docs/spec/auth.md [M1]): there is nothing to poll, so no Location. */
const MAIL_ONLY_202 = new Set([
  'requestPasswordReset',
  'requestEmailChange',
  'addMember',
  'shareByEmail',
  'resendWorkspaceInvitation',
  'resendDocumentInvitation',
]);
/** Operator endpoints, public at the HTTP level (scraped by Prometheus; keep them off the internet). */
const OPERATOR_OPERATIONS = ['getMetrics'];
const PROBLEM_REF = '#/components/schemas/Problem';

type RedoclyReport = {
  totals: { errors: number; warnings: number; ignored: number };
  problems: Array<{ ruleId: string; severity: string; message: string; location: Array<{ pointer: string }> }>;
};

describe('the OpenAPI document', () => {
  let t: TestApp;
  let doc: OpenApiDocument;
  let dir: string;

  beforeAll(async () => {
    // Linted as an operator publishes it: the `no-server-example.com` rule flags the localhost default.
    t = await startTestApp(backends[0] as (typeof backends)[number], { PUBLIC_URL: 'https://docs.collab.test' });
    doc = await fetchOpenApi(t);
    dir = mkdtempSync(join(tmpdir(), 'cd-openapi-'));
  }, 180_000);
  afterAll(async () => {
    await t?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('passes `redocly lint` (recommended ruleset, redocly.yaml) with no errors and no warnings', async () => {
    const file = join(dir, 'openapi.json');
    writeFileSync(file, JSON.stringify(doc, null, 2));
    const run = promisify(execFile);
    const args = [REDOCLY_CLI, 'lint', file, '--config', join(REPO, 'redocly.yaml'), '--format', 'json'];
    // Redocly exits 1 when it finds errors; the JSON report on stdout says which either way.
    const { stdout } = await run(process.execPath, args, {
      cwd: dir,
      env: { ...process.env, REDOCLY_TELEMETRY: 'off', REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true', NO_COLOR: '1' },
      maxBuffer: 16 * 1024 * 1024,
    }).catch((err: { stdout?: string }) => ({ stdout: err.stdout ?? '' }));
    const report = JSON.parse(stdout) as RedoclyReport;
    const problems = report.problems.map((p) => `${p.severity} ${p.ruleId} at ${p.location[0]?.pointer}: ${p.message}`);
    expect(problems).toEqual([]);
    expect(report.totals).toMatchObject({ errors: 0, warnings: 0 });
  }, 60_000);

  it('exempts exactly the public operations from the bearer requirement', () => {
    expect(doc.security).toEqual([{ bearer: [] }]);
    const open = operationsOf(doc)
      .filter(({ op }) => op.security !== undefined && op.security.length === 0)
      .map(({ op }) => op.operationId)
      .sort();
    expect(open).toEqual([...PUBLIC_OPERATIONS, ...OPERATOR_OPERATIONS].sort());
  });

  it('gives every operation a unique operationId, a summary, a description and a declared tag', () => {
    const declared = new Set(doc.tags?.map((tag) => tag.name));
    const ops = operationsOf(doc);
    expect(ops.length).toBeGreaterThan(30);
    for (const { method, path, op } of ops) {
      const where = `${method.toUpperCase()} ${path}`;
      expect(op.operationId, where).toMatch(/^[a-z][A-Za-z]+$/);
      expect(op.summary, where).toBeTruthy();
      expect(op.description, where).toBeTruthy();
      expect(op.tags?.length, where).toBe(1);
      expect(declared.has(op.tags?.[0] as string), `${where}: tag ${op.tags?.[0]}`).toBe(true);
    }
    const ids = ops.map(({ op }) => op.operationId);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('documents every error as application/problem+json with the shared Problem schema', () => {
    expect(doc.components.schemas?.Problem).toMatchObject({ type: 'object', title: 'Problem' });
    expect(Object.keys(doc.components.schemas ?? {}).filter((name) => name.startsWith('def-'))).toEqual([]);
    for (const { method, path, op } of operationsOf(doc)) {
      for (const [status, response] of Object.entries(op.responses)) {
        if (Number(status) < 400 || (path === '/readyz' && status === '503')) continue;
        expect(Object.keys(response.content ?? {}), `${method} ${path} ${status}`).toEqual([
          'application/problem+json',
        ]);
        expect(response.content?.['application/problem+json']?.schema).toEqual({ $ref: PROBLEM_REF });
      }
    }
  });

  it('documents 400 where there is input, 401 where a token is needed, 413 and 415 where there is a body', () => {
    for (const { method, path, op } of operationsOf(doc)) {
      const where = `${method.toUpperCase()} ${path}`;
      const statuses = Object.keys(op.responses);
      if ((op.parameters?.length ?? 0) > 0 || op.requestBody) expect(statuses, where).toContain('400');
      if (op.security === undefined) expect(statuses, where).toContain('401');
      if (op.requestBody) expect(statuses, where).toEqual(expect.arrayContaining(['413', '415']));
    }
  });

  it('documents the Location of what a 202 queued and the Retry-After of a 429', () => {
    for (const { method, path, op } of operationsOf(doc)) {
      const where = `${method.toUpperCase()} ${path}`;
      if (op.responses['202'] && !MAIL_ONLY_202.has(op.operationId as string)) {
        expect(Object.keys(op.responses['202'].headers ?? {}), where).toEqual(['location']);
      }
      if (op.responses['429']) expect(Object.keys(op.responses['429'].headers ?? {}), where).toContain('retry-after');
    }
  });

  it('never marks a parameter with a default as required', () => {
    const wrong = operationsOf(doc).flatMap(({ method, path, op }) =>
      (op.parameters ?? [])
        .filter((p) => p.required && p.schema && 'default' in p.schema)
        .map((p) => `${method.toUpperCase()} ${path} ${p.in}:${p.name}`),
    );
    expect(wrong).toEqual([]);
  });

  it('documents the real media types of text and file responses', () => {
    const media = (path: string, status = '200') => Object.keys(doc.paths[path]?.get?.responses[status]?.content ?? {});
    expect(media('/api/v1/documents/{id}/content')).toEqual([
      'application/json',
      'text/markdown',
      'text/html',
      'text/plain',
    ]);
    expect(media('/api/v1/exports/{jobId}/download')).toEqual([
      'application/pdf',
      'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
      'text/markdown',
      'text/html',
    ]);
    expect(media('/metrics')).toEqual(['text/plain']);
    expect(media('/api/v1/me')).toEqual(['application/json']);
    expect(media('/api/v1/me', '401')).toEqual(['application/problem+json']);
    expect(
      doc.paths['/.well-known/jwks.json']?.get?.responses['200']?.content?.['application/json']?.schema,
    ).toMatchObject({ type: 'object', required: ['keys'] });
  });
});
