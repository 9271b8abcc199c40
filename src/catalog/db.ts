// The catalog: one SQLite file (WAL) under dataDir. It is an index; the archive is the system
// of record (`sealdock reindex` rebuilds this from it).
import Database from 'better-sqlite3';
import fs from 'node:fs';
import path from 'node:path';
import { SealdockError } from '../errors.js';
import { MIGRATIONS, type Migration } from './migrations.js';

export type Db = Database.Database;

export function catalogPath(dataDir: string): string {
  return path.join(dataDir, 'catalog.sqlite');
}

export function openCatalog(file: string, opts: { readonly?: boolean; migrations?: Migration[] } = {}): Db {
  fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  const db = new Database(file, { readonly: opts.readonly ?? false, fileMustExist: opts.readonly ?? false });
  cacheStatements(db);
  db.pragma('busy_timeout = 10000');
  if (!opts.readonly) {
    db.pragma('journal_mode = WAL');
    // FULL: a committed intake row must survive power loss, since the dock file may be released on it.
    db.pragma('synchronous = FULL');
    db.pragma('foreign_keys = ON');
    migrate(db, opts.migrations ?? MIGRATIONS);
  }
  return db;
}

export function migrate(db: Db, migrations: Migration[]): void {
  const current = db.pragma('user_version', { simple: true }) as number;
  const latest = migrations.at(-1)?.version ?? 0;
  if (current > latest) {
    throw new SealdockError(
      'CONFIG_INVALID',
      `catalog schema version ${current} is newer than this sealdock understands (${latest}); upgrade sealdock`,
    );
  }
  for (const m of migrations) {
    if (m.version <= current) continue;
    db.transaction(() => {
      db.exec(m.sql);
      db.pragma(`user_version = ${m.version}`);
    }).immediate();
  }
}

/**
 * Compiling a statement costs more than running most of ours (a profile of the API at 50
 * connections spent an eighth of its CPU in prepare): the repositories write SQL where they use
 * it, and each distinct text is compiled once per connection. The set of texts is bounded (the
 * dynamic ones vary only in which filters or columns are present). No caller changes a
 * statement's mode (pluck, raw, expand), so sharing one is safe.
 */
function cacheStatements(db: Db): void {
  const compile = db.prepare.bind(db);
  const compiled = new Map<string, Database.Statement>();
  db.prepare = ((source: string) => {
    let statement = compiled.get(source);
    if (!statement) {
      statement = compile(source);
      compiled.set(source, statement);
    }
    return statement;
  }) as Db['prepare'];
}
