// Recorders and who carried them when: the collector (采集人) of a recording is the person bound
// to its device at the recording time, not at the docking time.
import type { Db } from './db.js';
import type { AuditLog } from './audit-repo.js';
import type { Collector } from '../elements/types.js';
import { SealdockError } from '../errors.js';
import { nowIso } from '../util/time.js';

export interface DeviceRecord {
  id: string;
  label: string | null;
  clockOffsetSeconds: number | null;
  createdAt: string;
}

export interface BindingRecord {
  id: number;
  deviceId: string;
  collector: Collector;
  validFrom: string;
  validTo: string | null;
}

export class DevicesRepo {
  constructor(
    private readonly db: Db,
    private readonly audit: AuditLog,
  ) {}

  add(
    d: { id: string; label?: string | undefined; clockOffsetSeconds?: number | undefined },
    actor: string,
  ): DeviceRecord {
    return this.db
      .transaction(() => {
        if (this.get(d.id)) throw new SealdockError('CONFLICT', `device ${d.id} already exists`);
        this.db
          .prepare('INSERT INTO devices (id, label, clock_offset_seconds, created_at) VALUES (?, ?, ?, ?)')
          .run(d.id, d.label ?? null, d.clockOffsetSeconds ?? null, nowIso());
        this.audit.append({
          actor,
          action: 'device-added',
          details: { deviceId: d.id, label: d.label ?? null, clockOffsetSeconds: d.clockOffsetSeconds ?? null },
        });
        return this.get(d.id)!;
      })
      .immediate();
  }

  get(id: string): DeviceRecord | null {
    const r = this.db.prepare('SELECT * FROM devices WHERE id = ?').get(id) as Record<string, unknown> | undefined;
    return r
      ? {
          id: r.id as string,
          label: r.label as string | null,
          clockOffsetSeconds: r.clock_offset_seconds as number | null,
          createdAt: r.created_at as string,
        }
      : null;
  }

  list(): (DeviceRecord & { bindings: BindingRecord[] })[] {
    const devices = (this.db.prepare('SELECT id FROM devices ORDER BY id').all() as { id: string }[]).map((r) =>
      this.get(r.id)!,
    );
    return devices.map((d) => ({ ...d, bindings: this.bindings(d.id) }));
  }

  bindings(deviceId: string): BindingRecord[] {
    return (
      this.db.prepare('SELECT * FROM device_bindings WHERE device_id = ? ORDER BY valid_from').all(deviceId) as Record<
        string,
        unknown
      >[]
    ).map((r) => ({
      id: r.id as number,
      deviceId: r.device_id as string,
      collector: { name: r.collector_name as string, ...(r.collector_id ? { id: r.collector_id as string } : {}) },
      validFrom: r.valid_from as string,
      validTo: r.valid_to as string | null,
    }));
  }

  /**
   * Binds a device to a person from `validFrom` (to `validTo`, open-ended if absent). Overlapping
   * bindings are refused: at any instant a recorder belongs to at most one person.
   */
  bind(
    b: { deviceId: string; collector: Collector; validFrom: string; validTo?: string | undefined },
    actor: string,
  ): BindingRecord {
    return this.db
      .transaction(() => {
        if (!this.get(b.deviceId))
          throw new SealdockError('NOT_FOUND', `no device ${b.deviceId}; add it first (sealdock devices add)`);
        const from = Date.parse(b.validFrom);
        const to = b.validTo ? Date.parse(b.validTo) : Infinity;
        if (!(to > from)) throw new SealdockError('BAD_INPUT', 'binding must end after it starts');
        for (const other of this.bindings(b.deviceId)) {
          const oFrom = Date.parse(other.validFrom);
          const oTo = other.validTo ? Date.parse(other.validTo) : Infinity;
          if (from < oTo && oFrom < to) {
            throw new SealdockError(
              'CONFLICT',
              `binding overlaps binding #${other.id} (${other.collector.name}, ${other.validFrom} – ${other.validTo ?? 'open'}); end that one first`,
            );
          }
        }
        const res = this.db
          .prepare(
            'INSERT INTO device_bindings (device_id, collector_name, collector_id, valid_from, valid_to, created_at) VALUES (?, ?, ?, ?, ?, ?)',
          )
          .run(b.deviceId, b.collector.name, b.collector.id ?? null, b.validFrom, b.validTo ?? null, nowIso());
        this.audit.append({
          actor,
          action: 'device-bound',
          details: { deviceId: b.deviceId, collector: b.collector, validFrom: b.validFrom, validTo: b.validTo ?? null },
        });
        return this.bindings(b.deviceId).find((x) => x.id === Number(res.lastInsertRowid))!;
      })
      .immediate();
  }

  /** The collector bound to the device at that instant, if any. */
  collectorAt(deviceId: string, at: string): Collector | undefined {
    const t = Date.parse(at);
    if (Number.isNaN(t)) return undefined;
    const hit = this.bindings(deviceId).find(
      (b) => Date.parse(b.validFrom) <= t && (b.validTo === null || t < Date.parse(b.validTo)),
    );
    return hit?.collector;
  }
}
