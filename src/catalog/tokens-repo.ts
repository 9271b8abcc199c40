// API tokens: `sdk_<id>_<secret>`. The id is public (it names the token in the audit log); only
// a SHA-256 of the secret is stored, so a copy of the catalog cannot be used to call the API.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { AuditLog } from './audit-repo.js';
import { SealdockError } from '../errors.js';
import { nowIso } from '../util/time.js';
import type { Db } from './db.js';

export const ROLES = ['dock', 'auditor', 'admin'] as const;
export type Role = (typeof ROLES)[number];

export interface TokenRecord {
  id: string;
  role: Role;
  label: string | null;
  dockId: string | null;
  createdAt: string;
  createdBy: string;
  expiresAt: string | null;
  revokedAt: string | null;
  lastUsedAt: string | null;
}

interface RawToken {
  id: string;
  role: Role;
  label: string | null;
  secret_hash: string;
  dock_id: string | null;
  created_at: string;
  created_by: string;
  expires_at: string | null;
  revoked_at: string | null;
  last_used_at: string | null;
}

const TOKEN = /^sdk_([0-9a-f]{16})_([A-Za-z0-9_-]{43})$/;

/** Splits a presented token; null when it cannot be one of ours. Pure. */
export function parseToken(token: string): { id: string; secret: string } | null {
  const m = TOKEN.exec(token);
  return m ? { id: m[1]!, secret: m[2]! } : null;
}

function hashSecret(secret: string): Buffer {
  return createHash('sha256').update(secret, 'utf8').digest();
}

export type AuthOutcome =
  | { ok: true; token: TokenRecord }
  | { ok: false; reason: 'malformed' | 'unknown' | 'wrong-secret' | 'revoked' | 'expired'; tokenId: string | null };

// Minute precision is enough to see which tokens are in use, and spares a write per request.
const TOUCH_EVERY_MS = 60_000;

export class TokensRepo {
  constructor(
    private readonly db: Db,
    private readonly audit: AuditLog,
  ) {}

  create(
    input: { role: Role; label?: string | undefined; dockId?: string | undefined; expiresAt?: string | undefined },
    actor: string,
  ): { token: string; record: TokenRecord } {
    if (!ROLES.includes(input.role)) throw new SealdockError('USAGE', `role must be one of ${ROLES.join(', ')}`);
    if (input.dockId !== undefined && input.role !== 'dock')
      throw new SealdockError('USAGE', 'only dock tokens can be bound to a dock');
    const id = randomBytes(8).toString('hex');
    const secret = randomBytes(32).toString('base64url');
    const at = nowIso();
    this.db
      .transaction(() => {
        this.db
          .prepare(
            `INSERT INTO tokens (id, role, label, secret_hash, dock_id, created_at, created_by, expires_at)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
          )
          .run(
            id,
            input.role,
            input.label ?? null,
            hashSecret(secret).toString('hex'),
            input.dockId ?? null,
            at,
            actor,
            input.expiresAt ?? null,
          );
        this.audit.append({
          actor,
          action: 'token-created',
          details: {
            tokenId: id,
            role: input.role,
            label: input.label ?? null,
            dockId: input.dockId ?? null,
            expiresAt: input.expiresAt ?? null,
          },
        });
      })
      .immediate();
    return { token: `sdk_${id}_${secret}`, record: this.get(id)! };
  }

  get(id: string): TokenRecord | null {
    const r = this.db.prepare('SELECT * FROM tokens WHERE id = ?').get(id) as RawToken | undefined;
    return r ? fromRaw(r) : null;
  }

  list(): TokenRecord[] {
    return (this.db.prepare('SELECT * FROM tokens ORDER BY created_at, id').all() as RawToken[]).map(fromRaw);
  }

  revoke(id: string, actor: string): TokenRecord {
    return this.db
      .transaction(() => {
        const t = this.get(id);
        if (!t) throw new SealdockError('NOT_FOUND', `no token ${JSON.stringify(id)}`);
        if (t.revokedAt) return t;
        this.db.prepare('UPDATE tokens SET revoked_at = ? WHERE id = ?').run(nowIso(), id);
        this.audit.append({ actor, action: 'token-revoked', details: { tokenId: id, role: t.role, label: t.label } });
        return this.get(id)!;
      })
      .immediate();
  }

  /** Checked against the catalog on every request: a revoked or expired token fails at once. */
  authenticate(presented: string, now: Date = new Date()): AuthOutcome {
    const parsed = parseToken(presented);
    if (!parsed) return { ok: false, reason: 'malformed', tokenId: null };
    const r = this.db.prepare('SELECT * FROM tokens WHERE id = ?').get(parsed.id) as RawToken | undefined;
    if (!r) return { ok: false, reason: 'unknown', tokenId: parsed.id };
    const stored = Buffer.from(r.secret_hash, 'hex');
    const given = hashSecret(parsed.secret);
    if (stored.length !== given.length || !timingSafeEqual(stored, given))
      return { ok: false, reason: 'wrong-secret', tokenId: r.id };
    if (r.revoked_at) return { ok: false, reason: 'revoked', tokenId: r.id };
    if (r.expires_at && Date.parse(r.expires_at) <= now.getTime())
      return { ok: false, reason: 'expired', tokenId: r.id };
    if (!r.last_used_at || now.getTime() - Date.parse(r.last_used_at) >= TOUCH_EVERY_MS) {
      const at = now.toISOString();
      this.db.prepare('UPDATE tokens SET last_used_at = ? WHERE id = ?').run(at, r.id);
      r.last_used_at = at;
    }
    return { ok: true, token: fromRaw(r) };
  }
}

function fromRaw(r: RawToken): TokenRecord {
  return {
    id: r.id,
    role: r.role,
    label: r.label,
    dockId: r.dock_id,
    createdAt: r.created_at,
    createdBy: r.created_by,
    expiresAt: r.expires_at,
    revokedAt: r.revoked_at,
    lastUsedAt: r.last_used_at,
  };
}
