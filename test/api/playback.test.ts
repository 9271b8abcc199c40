// Playback tickets: what a <video> element presents instead of a bearer token and a reason. A
// ticket plays one item with Range, for the token that asked, until it expires or the token is
// revoked; every issue and every stream is an access row with the reason; the catalog keeps
// only a hash, and no log line carries the ticket.
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApiServer } from '../../src/api/server.js';
import { redactedRequest } from '../../src/api/playback.js';
import { PlaybackTicketsRepo } from '../../src/catalog/playback-tickets-repo.js';
import type { EvidenceRecord } from '../../src/catalog/evidence-repo.js';
import { COMPLETE_SIDECAR, makeHarness, uniqueClip, type Harness } from './harness.js';

let h: Harness;
let item: EvidenceRecord;
let other: EvidenceRecord;

beforeAll(async () => {
  h = await makeHarness();
  item = await h.preserve('回放.mp4', uniqueClip('playback-1'), { sidecar: COMPLETE_SIDECAR, states: ['archived'] });
  other = await h.preserve('回放2.mp4', uniqueClip('playback-2'), { sidecar: COMPLETE_SIDECAR, states: ['archived'] });
}, 120_000);
afterAll(async () => h?.close());

const why = '复核执法过程';

async function issue(token: string, id: string, reason: string | null = why) {
  return h.app.inject({
    method: 'POST',
    url: `/api/v1/evidence/${id}/playback`,
    headers: {
      authorization: `Bearer ${token}`,
      ...(reason !== null ? { 'x-access-reason': encodeURIComponent(reason) } : {}),
    },
  });
}

describe('playback tickets', () => {
  it('a ticket needs a reason and plays its item with Range; issue and stream are access rows with the reason', async () => {
    const token = h.token('auditor');
    const tokenId = token.split('_')[1]!;
    const noReason = await issue(token, item.id, null);
    expect(noReason.statusCode, noReason.body).toBe(400);
    const res = await issue(token, item.id);
    expect(res.statusCode).toBe(201);
    const body = res.json<{ ticket: string; expiresAt: string; url: string }>();
    expect(body.ticket).toMatch(/^sdp_[A-Za-z0-9_-]{43}$/);
    expect(body.url).toBe(`/api/v1/evidence/${item.id}/derivative?ticket=${body.ticket}`);
    const minutes = (Date.parse(body.expiresAt) - Date.now()) / 60_000;
    expect(minutes).toBeGreaterThan(h.config.api.playbackTicketMinutes - 1);
    expect(minutes).toBeLessThanOrEqual(h.config.api.playbackTicketMinutes);

    // no Authorization header, no reason header: the ticket is both
    const part = await h.app.inject({ url: body.url, headers: { range: 'bytes=0-1023' } });
    expect(part.statusCode).toBe(206);
    expect(part.headers['content-range']).toMatch(/^bytes 0-1023\/\d+$/);
    expect(part.rawPayload.length).toBe(1024);
    expect(part.rawPayload.subarray(4, 8).toString('latin1')).toBe('ftyp');
    const head = await h.app.inject({ method: 'HEAD', url: body.url });
    expect(head.statusCode).toBe(200);

    const rows = h.repo.audit.list({ actor: `token:${tokenId}`, limit: 100 });
    expect(rows.map((r) => [r.action, r.details.what, r.details.status, r.details.reason])).toEqual([
      ['access', 'playback-ticket', 400, undefined],
      ['access', 'playback-ticket', 201, why],
      ['access', 'derivative', 206, why],
      ['access', 'derivative', 200, why],
    ]);
    const ref = rows[1]!.details.ticket as string;
    expect(ref).toMatch(/^[0-9a-f]{16}$/);
    expect(rows[2]!.details.ticket).toBe(ref);
    expect(rows[2]!.details.range).toBe('bytes=0-1023');
    expect(rows[2]!.evidenceId).toBe(item.id);
    // the catalog holds a hash, never the ticket
    const stored = h.db.prepare('SELECT * FROM playback_tickets').all();
    expect(JSON.stringify(stored)).not.toContain(body.ticket.slice(4));
    expect(JSON.stringify(h.repo.audit.list({ limit: 10_000 }))).not.toContain(body.ticket.slice(4));
  });

  it('is refused for another item, on another route, after expiry, after revocation, and when forged', async () => {
    const token = h.token('auditor');
    const tokenId = token.split('_')[1]!;
    const { ticket } = (await issue(token, item.id)).json<{ ticket: string }>();
    const denied = async (url: string) => {
      const r = await h.app.inject({ url });
      return r.statusCode;
    };
    expect(await denied(`/api/v1/evidence/${item.id}/derivative?ticket=${ticket}`)).toBe(200);
    expect(await denied(`/api/v1/evidence/${other.id}/derivative?ticket=${ticket}`)).toBe(401);
    expect(await denied(`/api/v1/evidence/${item.id}/original?ticket=${ticket}`)).toBe(401); // tickets play derivatives only
    expect(await denied(`/api/v1/evidence/${item.id}/derivative?ticket=sdp_${'A'.repeat(43)}`)).toBe(401);
    expect(await denied(`/api/v1/evidence/${item.id}/derivative?ticket=nonsense`)).toBe(401);

    // expired: issued ten minutes ago with a one-minute lifetime
    const tickets = new PlaybackTicketsRepo(h.db);
    const old = tickets.issue(
      { tokenId, evidenceId: item.id, reason: why, ttlMs: 60_000 },
      new Date(Date.now() - 600_000),
    );
    expect(await denied(`/api/v1/evidence/${item.id}/derivative?ticket=${old.ticket}`)).toBe(401);

    h.tokens.revoke(tokenId, 'test');
    expect(await denied(`/api/v1/evidence/${item.id}/derivative?ticket=${ticket}`)).toBe(401);

    const whys = h.repo.audit
      .list({ action: 'access-denied', limit: 10_000 })
      .filter((r) => r.details.tokenId === tokenId)
      .map((r) => r.details.why);
    expect(whys).toEqual(['ticket-other-item', 'ticket-expired', 'ticket-token-revoked']);
  });

  it('dock tokens get no tickets; items without a playback copy get none', async () => {
    expect((await issue(h.token('dock'), item.id)).statusCode).toBe(403);
    expect((await issue(h.token('admin'), 'ev-000000000000000000000000')).statusCode).toBe(404);
  });

  it('no log line carries the query string (where the ticket travels)', async () => {
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _enc, done) {
        lines.push(chunk.toString('utf8'));
        done();
      },
    });
    const app = await buildApiServer({ ...h.deps, log: pino({ level: 'trace' }, sink) });
    app.get('/log-probe', { config: { access: 'public' } }, async (request) => {
      request.log.error({ req: request }, 'probe');
      return {};
    });
    await app.ready();
    try {
      const secret = `sdp_${'Q'.repeat(43)}`;
      await app.inject({ url: `/log-probe?ticket=${secret}` });
      await app.inject({ url: `/api/v1/evidence/${item.id}/derivative?ticket=${secret}` });
      const all = lines.join('');
      expect(all).toContain('/log-probe');
      expect(all).not.toContain(secret);
    } finally {
      await app.close();
    }
    expect(redactedRequest({ method: 'GET', url: '/a?ticket=x', ip: '::1' })).toEqual({
      method: 'GET',
      url: '/a',
      remoteAddress: '::1',
    });
  });
});
