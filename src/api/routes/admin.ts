// What an archive admin sees and does in the web console, as the CLI does it: status (the same
// reading as `sealdock status`, plus docks, archive reachability and the seal's expiry), activity
// per day, the yearly report (`sealdock report`), legal hold (`hold|release`) and retention
// (`retain`), through the same use cases.
import type { FastifyInstance } from 'fastify';
import { extendItemRetention, setItemLegalHold } from '../../usecases/holds.js';
import { isoWithOffset } from '../../elements/validate.js';
import { SealdockError } from '../../errors.js';
import { readStatus } from '../../status.js';
import { zoneOffsetMinutes } from '../../util/time.js';
import { actorOf } from '../access-log.js';
import type { ApiDeps } from '../deps.js';
import { ADMIN } from '../roles.js';
import { errorResponses, idParams } from '../schemas.js';
import { archiveProbe } from './health.js';

const loose = { type: 'object', additionalProperties: true } as const;
const reasonProperty = { type: 'string', minLength: 1, maxLength: 500, description: 'why, for the audit log' };

export function adminRoutes(app: FastifyInstance, deps: ApiDeps): void {
  const archiveCheck = archiveProbe(deps);

  app.get(
    '/api/v1/status',
    {
      config: { access: ADMIN },
      schema: {
        summary:
          'The daemon as `sealdock status` shows it, with docks’ last intake, archive reachability and the seal’s expiry',
        response: { 200: loose, ...errorResponses },
      },
    },
    async () => {
      const status = readStatus(deps.config, deps.repo);
      const seal = (status.daemon.seal ?? null) as { notAfter?: string } | null;
      const docks = new Map(deps.repo.reports.dockActivity().map((d) => [d.dockId, d]));
      return {
        ...status,
        archive: { backend: deps.config.archive.backend, ...(await archiveCheck()) },
        seal: seal
          ? {
              ...seal,
              daysLeft: seal.notAfter ? Math.floor((Date.parse(seal.notAfter) - Date.now()) / 86_400_000) : null,
            }
          : null,
        docks: deps.config.docks.map((d) => ({
          id: d.id,
          place: d.place,
          release: d.release,
          lastSeenAt: docks.get(d.id)?.lastSeenAt ?? null,
          files: docks.get(d.id)?.files ?? 0,
          unreleased: docks.get(d.id)?.unreleased ?? 0,
        })),
        timezone: deps.config.timezone,
      };
    },
  );

  app.get<{ Querystring: { days: number } }>(
    '/api/v1/activity',
    {
      config: { access: ADMIN },
      schema: {
        summary: 'Intake, settled (archived or unplayable) and backlog per day, in the configured time zone',
        querystring: {
          type: 'object',
          properties: { days: { type: 'integer', minimum: 1, maximum: 366, default: 30 } },
          additionalProperties: false,
        },
        response: { 200: loose, ...errorResponses },
      },
    },
    async (request) => {
      const timezone = deps.config.timezone;
      return { timezone, days: deps.repo.reports.dailyActivity(request.query.days, zoneOffsetMinutes(timezone)) };
    },
  );

  app.get<{ Querystring: { year: number } }>(
    '/api/v1/report',
    {
      config: { access: ADMIN },
      schema: {
        summary: 'The yearly report (as `sealdock report --year Y --json`)',
        querystring: {
          type: 'object',
          required: ['year'],
          properties: { year: { type: 'integer', minimum: 2000, maximum: 9999 } },
          additionalProperties: false,
        },
        response: { 200: loose, ...errorResponses },
      },
    },
    async (request) => deps.repo.reports.year(request.query.year),
  );

  app.put<{ Params: { id: string }; Body: { hold: boolean; reason?: string } }>(
    '/api/v1/evidence/:id/legal-hold',
    {
      config: { access: ADMIN },
      schema: {
        summary: 'Set (hold: true) or lift (hold: false) the legal hold on every archived object of the item',
        params: idParams,
        body: {
          type: 'object',
          required: ['hold'],
          properties: { hold: { type: 'boolean' }, reason: reasonProperty },
          additionalProperties: false,
        },
        response: { 200: loose, ...errorResponses, 409: { $ref: 'Problem#' } },
      },
    },
    async (request) => {
      const { id } = request.params;
      const { hold, reason } = request.body;
      const r = await setItemLegalHold(deps, id, hold, actorOf(request), reason?.normalize('NFC'));
      return { id, legalHold: hold, ...r };
    },
  );

  app.post<{ Params: { id: string }; Body: { until: string; reason?: string } }>(
    '/api/v1/evidence/:id/retention',
    {
      config: { access: ADMIN },
      schema: {
        summary: 'Extend the retention of every archived object of the item (never shortens)',
        params: idParams,
        body: {
          type: 'object',
          required: ['until'],
          properties: {
            until: { type: 'string', maxLength: 40, description: 'ISO 8601 with offset' },
            reason: reasonProperty,
          },
          additionalProperties: false,
        },
        response: { 200: loose, ...errorResponses, 409: { $ref: 'Problem#' } },
      },
    },
    async (request) => {
      const { id } = request.params;
      const { until, reason } = request.body;
      if (!isoWithOffset.safeParse(until).success)
        throw new SealdockError('BAD_INPUT', 'until must be ISO 8601 with an offset, e.g. 2030-01-01T00:00:00+08:00');
      const r = await extendItemRetention(deps, id, new Date(until), actorOf(request), reason?.normalize('NFC'));
      return { id, ...r };
    },
  );
}
