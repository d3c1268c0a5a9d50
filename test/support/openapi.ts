/** The served OpenAPI document, typed just enough for tests that walk its operations, and a response checker. */
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormatsImport from 'ajv-formats';
import type { LightMyRequestResponse } from 'fastify';
import type { TestApp } from './test-app.ts';

const COMPONENT_PREFIX = '#/components/schemas/';
const addFormats = addFormatsImport as unknown as (ajv: Ajv2020) => Ajv2020;

export type Schema = Record<string, unknown>;
export type MediaTypes = Record<string, { schema?: Schema }>;
export type Parameter = { name: string; in: string; required?: boolean; schema?: Schema };
export type Operation = {
  operationId?: string;
  summary?: string;
  description?: string;
  tags?: string[];
  security?: Array<Record<string, string[]>>;
  parameters?: Parameter[];
  requestBody?: { content: MediaTypes };
  responses: Record<string, { description: string; headers?: Record<string, unknown>; content?: MediaTypes }>;
};
export type OpenApiDocument = {
  openapi: string;
  info: Record<string, unknown>;
  servers?: Array<{ url: string }>;
  tags?: Array<{ name: string; description?: string }>;
  security?: Array<Record<string, string[]>>;
  paths: Record<string, Record<string, Operation>>;
  components: { schemas?: Record<string, Schema>; securitySchemes?: Record<string, unknown> };
};

export const HTTP_METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];

/** Every operation with its method and path, e.g. `{ method: 'get', path: '/api/v1/me', op }`. */
export function operationsOf(doc: OpenApiDocument): Array<{ method: string; path: string; op: Operation }> {
  return Object.entries(doc.paths).flatMap(([path, item]) =>
    Object.entries(item)
      .filter(([method]) => HTTP_METHODS.includes(method))
      .map(([method, op]) => ({ method, path, op })),
  );
}

export async function fetchOpenApi(t: TestApp): Promise<OpenApiDocument> {
  const res = await t.request('GET', '/api/v1/openapi.json');
  if (res.statusCode !== 200) throw new Error(`openapi.json answered ${res.statusCode}`);
  return res.json() as OpenApiDocument;
}

/** How a response breaks the document: undocumented status, wrong media type, or a body off its schema. */
export class ResponseChecker {
  private readonly ajv: Ajv2020;
  private readonly compiled = new Map<Schema, ValidateFunction>();
  private readonly components: Record<string, Schema>;

  constructor(doc: OpenApiDocument) {
    this.ajv = new Ajv2020({ allErrors: true, strict: false });
    addFormats(this.ajv);
    // Exported files: any bytes; what matters for them is the media type.
    this.ajv.addFormat('binary', true);
    this.components = doc.components.schemas ?? {};
  }

  /** Empty when the response is one the operation documents; otherwise what is wrong. */
  problems(op: Operation, res: LightMyRequestResponse): string[] {
    const documented = op.responses[String(res.statusCode)];
    if (!documented) return [`status ${res.statusCode} is not documented (${Object.keys(op.responses).join(', ')})`];
    const missingHeaders = Object.keys(documented.headers ?? {}).filter(
      (h) => res.headers[h.toLowerCase()] === undefined,
    );
    if (missingHeaders.length > 0) return [`documented header(s) not sent: ${missingHeaders.join(', ')}`];
    const content = documented.content;
    if (!content) return res.body === '' ? [] : [`status ${res.statusCode} is documented without a body`];
    const contentType = String(res.headers['content-type'] ?? '');
    const mediaType = contentType.split(';')[0]?.trim().toLowerCase() ?? '';
    const media = content[mediaType];
    if (!media) return [`Content-Type ${contentType || '(none)'} is not one of ${Object.keys(content).join(', ')}`];
    if (!media.schema) return [];
    const body: unknown = mediaType.includes('json') ? JSON.parse(res.body) : res.body;
    const validate = this.validator(media.schema);
    if (validate(body)) return [];
    return (validate.errors ?? []).map((e) => `body${e.instancePath} ${e.message} (${JSON.stringify(e.params)})`);
  }

  private validator(schema: Schema): ValidateFunction {
    let v = this.compiled.get(schema);
    if (!v) {
      v = this.ajv.compile(this.inline(schema) as Schema);
      this.compiled.set(schema, v);
    }
    return v;
  }

  /** The schema with `#/components/schemas/X` references replaced by X (the document's are not recursive). */
  private inline(node: unknown): unknown {
    if (Array.isArray(node)) return node.map((n) => this.inline(n));
    if (node === null || typeof node !== 'object') return node;
    const ref = (node as { $ref?: unknown }).$ref;
    if (typeof ref === 'string' && ref.startsWith(COMPONENT_PREFIX)) {
      const target = this.components[ref.slice(COMPONENT_PREFIX.length)];
      if (!target) throw new Error(`unresolvable ${ref}`);
      const { $id: _id, ...rest } = target;
      return this.inline(rest);
    }
    return Object.fromEntries(Object.entries(node).map(([k, v]) => [k, this.inline(v)]));
  }
}
