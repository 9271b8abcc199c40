// The OpenAPI 3.1 document, generated from the very schemas fastify validates with (collected
// in onRoute), so the document cannot drift from the behaviour.
import type { RouteOptions } from 'fastify';
import { SEALDOCK_VERSION } from '../util/version.js';
import { problemSchema } from './problem.js';
import type { Access } from './roles.js';

interface Collected {
  method: string;
  url: string;
  schema: Record<string, unknown>;
  access: Access | undefined;
}

type Json = Record<string, unknown>;

// fastify's shared-schema references (`Problem#`) become component references.
function rewriteRefs(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(rewriteRefs);
  if (v && typeof v === 'object') {
    const out: Json = {};
    for (const [k, x] of Object.entries(v as Json))
      out[k] = k === '$ref' && x === 'Problem#' ? '#/components/schemas/Problem' : rewriteRefs(x);
    return out;
  }
  return v;
}

function parametersOf(schema: Json | undefined, where: 'path' | 'query' | 'header'): Json[] {
  if (!schema || typeof schema.properties !== 'object') return [];
  const required = new Set((schema.required as string[] | undefined) ?? []);
  return Object.entries(schema.properties as Record<string, Json>).map(([name, s]) => {
    const { description, ...rest } = s;
    return {
      name,
      in: where,
      required: where === 'path' || required.has(name),
      ...(description ? { description } : {}),
      schema: rest,
    };
  });
}

function responseOf(r: Json): Json {
  if ('content' in r) return { description: (r.description as string | undefined) ?? '', content: r.content };
  if (r.$ref === 'Problem#')
    return {
      description: 'problem details',
      content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } },
    };
  if (Object.keys(r).length === 1 && 'description' in r) return { description: r.description };
  return { description: (r.description as string | undefined) ?? 'OK', content: { 'application/json': { schema: r } } };
}

export class OpenApiCollector {
  private readonly routes: Collected[] = [];

  onRoute = (r: RouteOptions): void => {
    const methods = Array.isArray(r.method) ? r.method : [r.method];
    for (const method of methods) {
      // fastify adds a HEAD twin for every GET; only the downloads' HEAD means something of its own
      if (method === 'HEAD' && !/\/(original|derivative|manifest|signature)$/.test(r.url)) continue;
      this.routes.push({
        method: method.toLowerCase(),
        url: r.url,
        schema: (r.schema as Json | undefined) ?? {},
        access: r.config?.access,
      });
    }
  };

  document(): Json {
    const paths: Record<string, Json> = {};
    for (const r of this.routes) {
      const path = r.url.replace(/:([A-Za-z]+)/g, '{$1}');
      const s = r.schema;
      const responses: Json = {};
      for (const [code, resp] of Object.entries((s.response as Record<string, Json> | undefined) ?? {}))
        responses[code] = rewriteRefs(responseOf(resp));
      const op: Json = {
        summary: s.summary ?? '',
        parameters: [
          ...parametersOf(s.params as Json | undefined, 'path'),
          ...parametersOf(s.querystring as Json | undefined, 'query'),
          ...parametersOf(s.headers as Json | undefined, 'header'),
        ],
        responses,
        ...(r.access === undefined || r.access === 'public'
          ? { security: [] }
          : { security: [{ bearer: [] }], 'x-roles': r.access }),
      };
      if (s.body) op.requestBody = { required: true, content: { 'application/json': { schema: rewriteRefs(s.body) } } };
      if (r.method === 'put' && path.includes('/docks/'))
        op.requestBody = {
          required: true,
          content: { 'application/octet-stream': { schema: { type: 'string', format: 'binary' } } },
        };
      (paths[path] ??= {})[r.method] = op;
    }
    const { $id: _id, ...problem } = problemSchema;
    return {
      openapi: '3.1.0',
      info: {
        title: 'sealdock API',
        version: SEALDOCK_VERSION,
        description: 'Retrieval (with supervision) and push intake of body-worn camera evidence. See docs/api.md.',
      },
      components: {
        securitySchemes: { bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'sdk_<id>_<secret>' } },
        schemas: { Problem: problem },
      },
      paths,
    };
  }
}
