// The web console (src/console, built by Vite into dist/console) served at `/`, and the little it
// needs to know before sign-in. Files are read once at start (a few hundred KiB). Hashed assets are
// immutable; index.html is revalidated, so a new build is picked up on the next load. Client routes
// (/case/…, /item/…, /admin/…) fall back to index.html; /api/… and /assets/… never do.
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { SEALDOCK_VERSION } from '../../util/version.js';
import type { ApiDeps } from '../deps.js';
import { problem, sendProblem } from '../problem.js';
import { AUDITOR } from '../roles.js';
import { errorResponses } from '../schemas.js';

/** Same place from src/api/routes (tests) and dist/api/routes (the built daemon). */
export const CONSOLE_DIR = fileURLToPath(new URL('../../../dist/console/', import.meta.url));

// Vite's output has no inline script or style (checked by test/console/console.test.ts), so the
// policy needs no 'unsafe-inline' and no hashes.
export const CONSOLE_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "media-src 'self'",
  "connect-src 'self'",
  "font-src 'self'",
  "object-src 'none'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
  "form-action 'self'",
].join('; ');

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json',
  '.woff2': 'font/woff2',
};

interface StaticFile {
  body: Buffer;
  type: string;
  etag: string;
  immutable: boolean;
}

function loadConsole(dir: string): Map<string, StaticFile> {
  const files = new Map<string, StaticFile>();
  const walk = (rel: string) => {
    for (const e of fs.readdirSync(path.join(dir, rel), { withFileTypes: true })) {
      const r = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) walk(r);
      else if (e.isFile()) {
        const body = fs.readFileSync(path.join(dir, r));
        files.set(`/${r}`, {
          body,
          type: TYPES[path.extname(r)] ?? 'application/octet-stream',
          etag: `"${createHash('sha256').update(body).digest('hex').slice(0, 32)}"`,
          immutable: r.startsWith('assets/'),
        });
      }
    }
  };
  if (fs.existsSync(path.join(dir, 'index.html'))) walk('');
  return files;
}

export function consoleHeaders(reply: FastifyReply): FastifyReply {
  return reply
    .header('content-security-policy', CONSOLE_CSP)
    .header('x-content-type-options', 'nosniff')
    .header('referrer-policy', 'no-referrer')
    .header('x-frame-options', 'DENY')
    .header('cross-origin-opener-policy', 'same-origin');
}

export function consoleRoutes(app: FastifyInstance, deps: ApiDeps, dir: string = CONSOLE_DIR): void {
  const files = loadConsole(dir);
  if (files.size === 0) deps.log.warn({ dir }, 'web console not built (npm run build): / answers 404');

  app.get(
    '/api/v1/console-config',
    {
      config: { access: 'public' },
      schema: {
        summary: 'What the web console needs before sign-in: the time zone dates are shown in, ticket lifetime',
        response: {
          200: {
            type: 'object',
            properties: {
              timezone: { type: 'string' },
              playbackTicketMinutes: { type: 'integer' },
              version: { type: 'string' },
            },
          },
        },
      },
    },
    async () => ({
      timezone: deps.config.timezone,
      playbackTicketMinutes: deps.config.api.playbackTicketMinutes,
      version: SEALDOCK_VERSION,
    }),
  );

  app.get(
    '/api/v1/session',
    {
      config: { access: AUDITOR },
      schema: {
        summary: 'The calling token: id, role, label, expiry (what the console shows after sign-in)',
        response: {
          200: {
            type: 'object',
            properties: {
              tokenId: { type: 'string' },
              role: { type: 'string' },
              label: { type: ['string', 'null'] },
              expiresAt: { type: ['string', 'null'] },
            },
          },
          ...errorResponses,
        },
      },
    },
    async (request) => {
      const t = request.principal!;
      return { tokenId: t.id, role: t.role, label: t.label, expiresAt: t.expiresAt };
    },
  );

  const serve = (urlPath: string, ifNoneMatch: string | undefined, reply: FastifyReply) => {
    // Case numbers may hold dots, so a client route is anything outside /api/ and /assets/.
    const clientRoute = !urlPath.startsWith('/api/') && !urlPath.startsWith('/assets/');
    const file = files.get(urlPath) ?? (clientRoute ? files.get('/index.html') : undefined);
    if (!file) {
      const what = files.size === 0 ? 'the web console is not built (run npm run build)' : `no route GET ${urlPath}`;
      return sendProblem(consoleHeaders(reply), problem('NOT_FOUND', what.slice(0, 300)));
    }
    consoleHeaders(reply)
      .header('etag', file.etag)
      .header('cache-control', file.immutable ? 'public, max-age=31536000, immutable' : 'no-cache')
      .type(file.type);
    if (ifNoneMatch === file.etag) return reply.code(304).send();
    return reply.send(file.body);
  };

  const options = { config: { access: 'public' as const }, schema: { summary: 'The web console (single-page app)' } };
  app.get('/', options, async (request, reply) => serve('/index.html', request.headers['if-none-match'], reply));
  app.get<{ Params: { '*': string } }>('/*', options, async (request, reply) =>
    serve(`/${request.params['*']}`, request.headers['if-none-match'], reply),
  );
}
