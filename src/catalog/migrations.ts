// Versioned schema migrations, applied in order inside one transaction each; PRAGMA user_version
// records how far a catalog file has come. Never edit a shipped migration: add the next one.

export interface Migration {
  version: number;
  name: string;
  sql: string;
}

export const MIGRATIONS: Migration[] = [
  {
    version: 1,
    name: 'evidence, archive objects, dock files, append-only audit log',
    sql: `
      CREATE TABLE evidence (
        id              TEXT PRIMARY KEY,
        sha256          TEXT NOT NULL UNIQUE,
        size            INTEGER NOT NULL,
        original_name   TEXT NOT NULL,
        dock_id         TEXT NOT NULL,
        device_id       TEXT,
        received_at     TEXT NOT NULL,
        state           TEXT NOT NULL,
        resume_state    TEXT,
        stage           TEXT,
        error           TEXT,
        attempts        INTEGER NOT NULL DEFAULT 0,
        next_attempt_at TEXT,
        spool_path      TEXT,
        annotation      TEXT NOT NULL DEFAULT '{}',
        sidecar         TEXT,
        elements        TEXT NOT NULL DEFAULT '{}',
        element_sources TEXT NOT NULL DEFAULT '{}',
        missing         TEXT NOT NULL DEFAULT '[]',
        media           TEXT,
        derivative      TEXT,
        manifest_rev    INTEGER NOT NULL DEFAULT 0,
        manifest_sha256 TEXT,
        legal_hold      INTEGER NOT NULL DEFAULT 0,
        retain_until    TEXT,
        progress        REAL,
        updated_at      TEXT NOT NULL
      );
      CREATE INDEX evidence_state ON evidence(state, next_attempt_at);
      CREATE INDEX evidence_received ON evidence(received_at);

      CREATE TABLE archive_objects (
        key              TEXT PRIMARY KEY,
        evidence_id      TEXT REFERENCES evidence(id),
        kind             TEXT NOT NULL,
        sha256           TEXT NOT NULL,
        size             INTEGER NOT NULL,
        version_id       TEXT,
        backend_checksum TEXT,
        retain_until     TEXT,
        legal_hold       INTEGER NOT NULL DEFAULT 0,
        stored_at        TEXT NOT NULL,
        verified_at      TEXT
      );
      CREATE INDEX archive_objects_evidence ON archive_objects(evidence_id);

      CREATE TABLE dock_files (
        id             INTEGER PRIMARY KEY,
        dock_id        TEXT NOT NULL,
        rel_path       TEXT NOT NULL,
        size           INTEGER NOT NULL,
        mtime_ms       INTEGER NOT NULL,
        ino            INTEGER,
        ctime_ms       INTEGER,
        sha256         TEXT NOT NULL,
        evidence_id    TEXT NOT NULL REFERENCES evidence(id),
        device_id      TEXT,
        sidecar        TEXT,
        seen_at        TEXT NOT NULL,
        released_at    TEXT,
        release_action TEXT,
        UNIQUE (dock_id, rel_path, size, mtime_ms, ino)
      );
      CREATE INDEX dock_files_pending ON dock_files(evidence_id, released_at);
      CREATE INDEX dock_files_unreleased ON dock_files(released_at, evidence_id);

      CREATE TABLE audit_log (
        seq         INTEGER PRIMARY KEY,
        at          TEXT NOT NULL,
        actor       TEXT NOT NULL,
        action      TEXT NOT NULL,
        evidence_id TEXT,
        details     TEXT NOT NULL,
        prev_hash   TEXT NOT NULL,
        hash        TEXT NOT NULL UNIQUE
      );
      CREATE INDEX audit_log_evidence ON audit_log(evidence_id, seq);
      CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
        BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
      CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
        BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;

      CREATE TABLE devices (
        id                   TEXT PRIMARY KEY,
        label                TEXT,
        clock_offset_seconds REAL,
        created_at           TEXT NOT NULL
      );
      CREATE TABLE device_bindings (
        id             INTEGER PRIMARY KEY,
        device_id      TEXT NOT NULL REFERENCES devices(id),
        collector_name TEXT NOT NULL,
        collector_id   TEXT,
        valid_from     TEXT NOT NULL,
        valid_to       TEXT,
        created_at     TEXT NOT NULL
      );
      CREATE INDEX device_bindings_device ON device_bindings(device_id, valid_from);
    `,
  },
  {
    version: 2,
    name: 'API tokens (hashes only) and sealed audit segments',
    sql: `
      CREATE TABLE tokens (
        id           TEXT PRIMARY KEY,
        role         TEXT NOT NULL CHECK (role IN ('dock', 'auditor', 'admin')),
        label        TEXT,
        secret_hash  TEXT NOT NULL UNIQUE,
        dock_id      TEXT,
        created_at   TEXT NOT NULL,
        created_by   TEXT NOT NULL,
        expires_at   TEXT,
        revoked_at   TEXT,
        last_used_at TEXT
      );
      CREATE TABLE audit_segments (
        name        TEXT PRIMARY KEY,
        first_seq   INTEGER NOT NULL,
        last_seq    INTEGER NOT NULL,
        last_hash   TEXT NOT NULL,
        sha256      TEXT NOT NULL,
        archived_at TEXT NOT NULL
      );
    `,
  },
  {
    version: 3,
    name: 'case-number index for the API case listing',
    // Same expression as EvidenceRepo.list, so the planner uses it for caseNumber + keyset order.
    sql: `
      CREATE INDEX evidence_case ON evidence(json_extract(elements, '$.caseNumber'), received_at, id);
    `,
  },
  {
    version: 4,
    name: 'playback tickets for the web console (hashes only)',
    // A <video> element cannot send a bearer token or a reason header: the console trades them for
    // a short-lived ticket bound to the token, the item and the reason. Only a SHA-256 is stored.
    sql: `
      CREATE TABLE playback_tickets (
        ticket_hash TEXT PRIMARY KEY,
        token_id    TEXT NOT NULL REFERENCES tokens(id),
        evidence_id TEXT NOT NULL REFERENCES evidence(id),
        reason      TEXT NOT NULL,
        issued_at   TEXT NOT NULL,
        expires_at  TEXT NOT NULL
      );
      CREATE INDEX playback_tickets_expiry ON playback_tickets(expires_at);
    `,
  },
  {
    version: 5,
    name: 'exact original names and paths (any bytes), recorded archive keys of originals',
    // NULL on older rows: their names were valid UTF-8 and their keys followed legacyArchiveFileName.
    sql: `
      ALTER TABLE evidence ADD COLUMN original_name_exact TEXT;
      ALTER TABLE evidence ADD COLUMN original_path TEXT;
      ALTER TABLE evidence ADD COLUMN original_key TEXT;
      ALTER TABLE dock_files ADD COLUMN rel_path_encoding TEXT NOT NULL DEFAULT 'utf-8';
    `,
  },
  {
    version: 6,
    name: 'an index for every listing filter; custody and access rows apart',
    // Each listing filter leads an index ending in (received_at, id), the keyset order, so a page
    // is an index range scan of `limit` rows, never a sort of every match. The collector matches
    // by name or by id: one index each (EvidenceRepo.list merges the two ordered walks). The
    // item view reads custody rows without walking its access rows, and access rows page alone.
    // The yearly report reads only indexes (ReportQueries.year).
    sql: `
      CREATE INDEX evidence_device_received ON evidence(device_id, received_at, id);
      CREATE INDEX evidence_state_received ON evidence(state, received_at, id);
      CREATE INDEX evidence_received_id_size ON evidence(received_at, id, size);
      DROP INDEX evidence_received;
      CREATE INDEX evidence_collector_name ON evidence(json_extract(elements, '$.collector.name'), received_at, id);
      CREATE INDEX evidence_collector_id ON evidence(json_extract(elements, '$.collector.id'), received_at, id);
      CREATE INDEX audit_log_custody ON audit_log(evidence_id, seq) WHERE action <> 'access';
      CREATE INDEX audit_log_access ON audit_log(evidence_id, seq) WHERE action = 'access';
      CREATE INDEX evidence_dock_received ON evidence(dock_id, received_at);
      CREATE INDEX evidence_held ON evidence(received_at) WHERE legal_hold = 1;
      CREATE INDEX evidence_missing ON evidence(received_at, missing) WHERE missing <> '[]';
      CREATE INDEX audit_log_action_at ON audit_log(action, at);
    `,
  },
  {
    version: 7,
    name: 'the source of each element, for the yearly count of unconfirmed elements',
    // ReportQueries.year counts, per element, items whose value is only a guess (dock default,
    // file mtime): a range count on one of these, instead of parsing every row's JSON.
    sql: `
      CREATE INDEX evidence_source_caseNumber ON evidence(json_extract(element_sources, '$.caseNumber'), received_at);
      CREATE INDEX evidence_source_recordedAt ON evidence(json_extract(element_sources, '$.recordedAt'), received_at);
      CREATE INDEX evidence_source_place ON evidence(json_extract(element_sources, '$.place'), received_at);
      CREATE INDEX evidence_source_collector ON evidence(json_extract(element_sources, '$.collector'), received_at);
      CREATE INDEX evidence_source_purpose ON evidence(json_extract(element_sources, '$.purpose'), received_at);
    `,
  },
  {
    version: 8,
    name: 'an access row writes two index entries, not four',
    // Every audited read appends a row, and its commit cost is the index pages it dirties: each
    // random leaf is one more WAL frame written, then checkpointed. The UNIQUE on hash (a random
    // SHA-256, so a random leaf per row) protected nothing the chain does not: a duplicate hash is
    // a SHA-256 collision, and AuditLog.verify checks every link. The partial access index
    // duplicated audit_log_evidence, which pages an item's reads as well (custody rows are few).
    // Dropping both halved the commit cost per access row at 1M items (bench/api.mjs, docs/api.md).
    // SQLite cannot drop a column constraint, so the table is rebuilt once, rows unchanged.
    sql: `
      CREATE TABLE audit_log_v8 (
        seq         INTEGER PRIMARY KEY,
        at          TEXT NOT NULL,
        actor       TEXT NOT NULL,
        action      TEXT NOT NULL,
        evidence_id TEXT,
        details     TEXT NOT NULL,
        prev_hash   TEXT NOT NULL,
        hash        TEXT NOT NULL
      );
      INSERT INTO audit_log_v8 (seq, at, actor, action, evidence_id, details, prev_hash, hash)
        SELECT seq, at, actor, action, evidence_id, details, prev_hash, hash FROM audit_log ORDER BY seq;
      DROP TABLE audit_log;
      ALTER TABLE audit_log_v8 RENAME TO audit_log;
      CREATE INDEX audit_log_evidence ON audit_log(evidence_id, seq);
      CREATE INDEX audit_log_custody ON audit_log(evidence_id, seq) WHERE action <> 'access';
      CREATE INDEX audit_log_action_at ON audit_log(action, at);
      CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
        BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
      CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
        BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
    `,
  },
];
