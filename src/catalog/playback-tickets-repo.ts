// Playback tickets (table playback_tickets): what a <video> element presents instead of a bearer
// token and a reason header. The ticket is 32 random bytes; only its SHA-256 is stored, so a copy
// of the catalog cannot play anything. A ticket names one token, one item and one reason.
import { createHash, randomBytes } from 'node:crypto';
import type { Db } from './db.js';

export interface PlaybackTicketRecord {
  /** First 16 hex digits of the ticket's SHA-256: names the ticket in the audit log, reveals nothing. */
  ref: string;
  tokenId: string;
  evidenceId: string;
  reason: string;
  issuedAt: string;
  expiresAt: string;
}

interface RawTicket {
  ticket_hash: string;
  token_id: string;
  evidence_id: string;
  reason: string;
  issued_at: string;
  expires_at: string;
}

const TICKET = /^sdp_[A-Za-z0-9_-]{43}$/;

function hashTicket(ticket: string): string {
  return createHash('sha256').update(ticket, 'utf8').digest('hex');
}

export class PlaybackTicketsRepo {
  constructor(private readonly db: Db) {}

  /** Issues a ticket; the caller records the issue in the audit log. Expired tickets are swept here. */
  issue(
    input: { tokenId: string; evidenceId: string; reason: string; ttlMs: number },
    now: Date = new Date(),
  ): { ticket: string; record: PlaybackTicketRecord } {
    const ticket = `sdp_${randomBytes(32).toString('base64url')}`;
    const hash = hashTicket(ticket);
    const issuedAt = now.toISOString();
    const expiresAt = new Date(now.getTime() + input.ttlMs).toISOString();
    this.db
      .transaction(() => {
        this.db.prepare('DELETE FROM playback_tickets WHERE expires_at <= ?').run(issuedAt);
        this.db
          .prepare(
            `INSERT INTO playback_tickets (ticket_hash, token_id, evidence_id, reason, issued_at, expires_at)
             VALUES (?, ?, ?, ?, ?, ?)`,
          )
          .run(hash, input.tokenId, input.evidenceId, input.reason, issuedAt, expiresAt);
      })
      .immediate();
    return {
      ticket,
      record: { ref: hash.slice(0, 16), ...input, issuedAt, expiresAt },
    };
  }

  /** The ticket's record while it is unexpired, else why not (for the audit log). */
  redeem(
    ticket: string,
    now: Date = new Date(),
  ):
    | { ok: true; record: PlaybackTicketRecord }
    | { ok: false; why: 'malformed' | 'unknown' | 'expired'; tokenId: string | null } {
    if (!TICKET.test(ticket)) return { ok: false, why: 'malformed', tokenId: null };
    const r = this.db.prepare('SELECT * FROM playback_tickets WHERE ticket_hash = ?').get(hashTicket(ticket)) as
      RawTicket | undefined;
    if (!r) return { ok: false, why: 'unknown', tokenId: null };
    if (Date.parse(r.expires_at) <= now.getTime()) return { ok: false, why: 'expired', tokenId: r.token_id };
    return {
      ok: true,
      record: {
        ref: r.ticket_hash.slice(0, 16),
        tokenId: r.token_id,
        evidenceId: r.evidence_id,
        reason: r.reason,
        issuedAt: r.issued_at,
        expiresAt: r.expires_at,
      },
    };
  }
}
