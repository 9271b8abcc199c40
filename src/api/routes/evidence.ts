// Finding evidence: listings (by case, by filter) and one item's detail with its custody events.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { EvidenceFilter } from '../../catalog/evidence-repo.js';
import { detail, summarize } from '../../catalog/views.js';
import { SealdockError } from '../../errors.js';
import type { State } from '../../pipeline/states.js';
import { recordAccess } from '../access-log.js';
import { decodeCursor, encodeCursor } from '../cursor.js';
import type { ApiDeps } from '../deps.js';
import { normaliseCaseNumber } from '../names.js';
import { AUDITOR } from '../roles.js';
import { errorResponses, evidencePage, evidenceSummary, idParams, listQuery } from '../schemas.js';

interface ListQuery {
  caseNumber?: string;
  collector?: string;
  from?: string;
  to?: string;
  state?: State;
  cursor?: string;
  limit: number;
}

// received_at is stored as UTC `toISOString()`: compare like with like whatever offset was given.
const utc = (s: string | undefined) => (s === undefined ? undefined : new Date(s).toISOString());

export function evidenceRoutes(app: FastifyInstance, deps: ApiDeps): void {
  const listPage = async (request: FastifyRequest, f: EvidenceFilter, q: ListQuery, what: string) => {
    const rows = deps.repo.list({ ...f, limit: q.limit + 1, after: q.cursor ? decodeCursor(q.cursor) : undefined });
    const items = rows.slice(0, q.limit);
    const last = items.at(-1);
    const nextCursor =
      rows.length > q.limit && last ? encodeCursor({ receivedAt: last.receivedAt, id: last.id }) : null;
    await recordAccess(deps, request, {
      what,
      query: { ...f, cursor: q.cursor ?? null, limit: q.limit },
      count: items.length,
      ids: items.map((e) => e.id),
      status: 200,
    });
    return { items: items.map(summarize), nextCursor };
  };

  app.get<{ Querystring: ListQuery }>(
    '/api/v1/evidence',
    {
      config: { access: AUDITOR, reads: 'list' },
      schema: {
        summary: 'List evidence (keyset pages, oldest first)',
        querystring: listQuery,
        response: { 200: evidencePage, ...errorResponses },
      },
    },
    async (request) => {
      const q = request.query;
      const from = utc(q.from);
      const to = utc(q.to);
      return listPage(
        request,
        {
          caseNumber: q.caseNumber === undefined ? undefined : normaliseCaseNumber(q.caseNumber),
          collector: q.collector?.normalize('NFC'),
          state: q.state,
          from,
          to,
        },
        q,
        'list',
      );
    },
  );

  app.get<{ Params: { caseNumber: string }; Querystring: Pick<ListQuery, 'cursor' | 'limit'> }>(
    '/api/v1/cases/:caseNumber/evidence',
    {
      config: { access: AUDITOR, reads: 'case' },
      schema: {
        summary: 'All evidence of one case (案件编号), oldest first',
        params: {
          type: 'object',
          required: ['caseNumber'],
          properties: { caseNumber: { type: 'string', minLength: 1, maxLength: 256 } },
        },
        querystring: {
          type: 'object',
          properties: { cursor: listQuery.properties.cursor, limit: listQuery.properties.limit },
          additionalProperties: false,
        },
        response: { 200: evidencePage, ...errorResponses },
      },
    },
    async (request) =>
      listPage(request, { caseNumber: normaliseCaseNumber(request.params.caseNumber) }, request.query, 'case'),
  );

  app.get<{ Params: { id: string } }>(
    '/api/v1/evidence/:id',
    {
      config: { access: AUDITOR, reads: 'detail' },
      schema: {
        summary: 'One item: elements, hashes, state, archive objects and custody events',
        params: idParams,
        response: {
          200: {
            ...evidenceSummary,
            properties: {
              ...evidenceSummary.properties,
              custody: { type: 'array', items: { type: 'object', additionalProperties: true } },
            },
          },
          ...errorResponses,
        },
      },
    },
    async (request) => {
      const { id } = request.params;
      const view = deps.repo.itemView(id);
      if (!view) throw new SealdockError('NOT_FOUND', `no evidence ${id}`);
      // Custody is what happened to the evidence, all of it, however often it was read: reads are
      // paged apart by GET /evidence/{id}/access. Both come from their own partial index.
      const body = detail(view.item, view.objects, view.custody);
      await recordAccess(deps, request, { what: 'detail', evidenceId: id, status: 200 });
      return body;
    },
  );
}
