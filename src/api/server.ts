// The HTTP API (SPEC.md "HTTP API"). Order of the request hooks matters:
//   onRequest  refuse overlong targets (414) → identify the token → (per route) rate limit
//   preParsing enforce auth and roles, so an unauthorised upload body is never read
//   onResponse latency metrics; the access row for a read that failed.
import fs from 'node:fs';
import { STATUS_CODES } from 'node:http';
import type { AddressInfo } from 'node:net';
import Fastify, { LogController, type FastifyInstance } from 'fastify';
import rateLimit from '@fastify/rate-limit';
import { SealdockError } from '../errors.js';
import { metrics } from '../metrics.js';
import { recordFailedRead } from './access-log.js';
import { enforce, identify } from './auth.js';
import type { ApiDeps } from './deps.js';
import { routablePushTarget } from './names.js';
import { OpenApiCollector } from './openapi.js';
import { errorHandler, problem, problemSchema, sendProblem } from './problem.js';
import { redactedRequest } from './playback.js';
import { actionRoutes } from './routes/actions.js';
import { adminRoutes } from './routes/admin.js';
import { auditRoutes } from './routes/audit.js';
import { consoleRoutes } from './routes/console.js';
import { dockRoutes } from './routes/docks.js';
import { downloadRoutes } from './routes/downloads.js';
import { evidenceRoutes } from './routes/evidence.js';
import { healthRoutes } from './routes/health.js';
import { playbackRoutes } from './routes/playback.js';
import { supervisionRoutes } from './routes/supervision.js';
import './types.js';

export type { ApiDeps } from './deps.js';

export async function buildApiServer(deps: ApiDeps): Promise<FastifyInstance> {
  const api = deps.config.api;
  const tls =
    api.tls.keyFile && api.tls.certFile
      ? { key: fs.readFileSync(api.tls.keyFile), cert: fs.readFileSync(api.tls.certFile) }
      : null;
  const app = Fastify({
    // req serializer without the query string: a playback ticket travels in it.
    loggerInstance: deps.log.child({ component: 'api' }, { serializers: { req: redactedRequest } }),
    // The access audit rows are the request log that matters; per-request info lines would drown the pipeline's.
    logController: new LogController({ disableRequestLogging: true }),
    routerOptions: { maxParamLength: api.maxParamLength },
    // A pushed name may be percent-encoded bytes that are not UTF-8, which the router refuses:
    // such a target is routed with a placeholder; the route reads the name from originalUrl.
    rewriteUrl: (req) => routablePushTarget(req.url ?? '/'),
    bodyLimit: 64 * 1024, // JSON bodies (annotations); uploads stream past this parser
    ...(tls ? { https: tls } : { http: { maxHeaderSize: api.maxHeaderBytes } }),
    requestTimeout: 0, // a multi-GiB upload or download may take long; idle sockets still time out
    keepAliveTimeout: 10_000,
    return503OnClosing: true,
    // Errors the HTTP parser raises before fastify sees a request (431, bad framing): answered as
    // problems too, and with end() rather than destroy() so the client reads the status.
    clientErrorHandler: (err, socket) => {
      if ((err as NodeJS.ErrnoException).code === 'ECONNRESET' || socket.destroyed || !socket.writable) return;
      const code = (err as NodeJS.ErrnoException).code;
      const p =
        code === 'HPE_HEADER_OVERFLOW'
          ? problem('HEADERS_TOO_LARGE', `request line and headers exceed ${api.maxHeaderBytes} bytes`)
          : problem('BAD_INPUT', 'malformed HTTP request');
      const body = JSON.stringify(p);
      socket.end(
        `HTTP/1.1 ${p.status} ${STATUS_CODES[p.status] ?? ''}\r\nContent-Type: application/problem+json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
      );
    },
    frameworkErrors: (err, _request, reply) => {
      sendProblem(reply, problem('BAD_INPUT', err.message));
    },
  }) as unknown as FastifyInstance;
  if (tls) app.server.maxHeadersCount = 200;

  const openapi = new OpenApiCollector();
  app.addHook('onRoute', openapi.onRoute);
  app.addSchema(problemSchema);
  app.setErrorHandler(errorHandler);
  app.setNotFoundHandler((request, reply) =>
    sendProblem(reply, problem('NOT_FOUND', `no route ${request.method} ${request.url.split('?')[0]!.slice(0, 200)}`)),
  );

  // Bodies are JSON everywhere but the dock upload (registered in its own scope below); any other
  // type is refused with 415 before a handler sees it, rather than reaching a JSON route as a raw
  // stream (which crashed the process).
  app.removeContentTypeParser('text/plain');

  app.decorateRequest('principal', null);
  app.decorateRequest('authFailure', null);
  app.decorateRequest('accessRecorded', false);
  app.decorateRequest('accessContext', null as unknown as Record<string, unknown>);
  app.decorateRequest('playbackTicket', null);

  app.addHook('onRequest', async (request) => {
    if (request.url.length > api.maxUrlLength)
      throw new SealdockError('URI_TOO_LONG', `request target longer than ${api.maxUrlLength} characters`);
  });
  const tickets = deps.repo.playbackTickets;
  app.addHook('onRequest', identify({ tokens: deps.tokens, tickets }));
  await app.register(rateLimit, {
    global: true,
    max: api.rateLimit.max,
    timeWindow: api.rateLimit.timeWindowMs,
    keyGenerator: (request) => (request.principal ? `token:${request.principal.id}` : `ip:${request.ip}`),
    errorResponseBuilder: (_request, ctx) => {
      const err = new SealdockError('RATE_LIMITED', `more than ${ctx.max} requests in ${ctx.after}; try again later`);
      return err;
    },
  });
  const enforceAuth = enforce(deps);
  app.addHook('preParsing', async (request, reply, payload) => {
    await enforceAuth(request, reply);
    return payload;
  });
  app.addHook('onResponse', async (request, reply) => {
    const route = request.routeOptions.url ?? 'unmatched';
    metrics.apiRequestDuration.observe(
      { route, method: request.method, status: `${Math.floor(reply.statusCode / 100)}xx` },
      reply.elapsedTime / 1000,
    );
  });
  app.addHook('onResponse', recordFailedRead(deps));

  healthRoutes(app, deps);
  evidenceRoutes(app, deps);
  downloadRoutes(app, deps);
  actionRoutes(app, deps);
  // Uploads: the raw request stream goes to the handler untouched (never buffered), whatever
  // non-JSON type a dock declares (JSON is refused there: a file is not an annotation). Parsers
  // are scoped to this plugin, so no other route sees a raw stream.
  await app.register(async (uploads) => {
    uploads.addContentTypeParser('*', (_request, payload, done) => done(null, payload));
    dockRoutes(uploads, deps);
  });
  auditRoutes(app, deps);
  playbackRoutes(app, deps, tickets);
  supervisionRoutes(app, deps);
  adminRoutes(app, deps);
  consoleRoutes(app, deps);
  app.get('/api/v1/openapi.json', { config: { access: 'public' }, schema: { summary: 'This document' } }, async () =>
    openapi.document(),
  );
  return app;
}

export interface RunningApi {
  app: FastifyInstance;
  url: string;
  close(): Promise<void>;
}

export async function startApiServer(deps: ApiDeps): Promise<RunningApi> {
  const app = await buildApiServer(deps);
  const { host, port } = deps.config.api;
  try {
    await app.listen({ host, port });
  } catch (err) {
    await app.close().catch(() => undefined);
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EADDRINUSE' || code === 'EACCES' || code === 'EADDRNOTAVAIL') {
      throw new SealdockError(
        'CONFIG_INVALID',
        code === 'EADDRINUSE'
          ? `api.port ${port} on ${host} is already in use (another sealdock, or another service): stop it or set api.port`
          : `cannot listen on ${host}:${port} (${code}): check api.host and api.port`,
        { host, port },
        { cause: err },
      );
    }
    throw err;
  }
  const addr = app.server.address() as AddressInfo;
  const scheme = deps.config.api.tls.keyFile ? 'https' : 'http';
  const shown = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
  return { app, url: `${scheme}://${shown}:${addr.port}`, close: () => app.close() };
}
