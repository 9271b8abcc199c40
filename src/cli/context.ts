// What a CLI command gets: the validated config and, when it needs it, the catalog.
import fs from 'node:fs';
import { catalogPath, openCatalog, type Db } from '../catalog/db.js';
import { DevicesRepo } from '../catalog/devices-repo.js';
import { EvidenceRepo } from '../catalog/evidence-repo.js';
import { TokensRepo } from '../catalog/tokens-repo.js';
import { loadConfig } from '../config/load.js';
import type { Config } from '../config/schema.js';
import { SealdockError } from '../errors.js';
import { parseWhen, type WhenOptions } from './when.js';
import os from 'node:os';

export interface GlobalOptions {
  config?: string | undefined;
}

export interface CatalogHandle {
  db: Db;
  repo: EvidenceRepo;
  devices: DevicesRepo;
  tokens: TokensRepo;
  close(): void;
}

export function cliConfig(opts: GlobalOptions): Config {
  return loadConfig({ file: opts.config }).config;
}

export function openCatalogFor(config: Config, opts: { mustExist?: boolean } = {}): CatalogHandle {
  const file = catalogPath(config.dataDir);
  if (opts.mustExist !== false && !fs.existsSync(file)) {
    throw new SealdockError(
      'NOT_FOUND',
      `no catalog at ${file}: has the daemon been started with this config (dataDir ${config.dataDir})?`,
    );
  }
  const db = openCatalog(file);
  const repo = new EvidenceRepo(db);
  return {
    db,
    repo,
    devices: new DevicesRepo(db, repo.audit),
    tokens: new TokensRepo(db, repo.audit),
    close: () => db.close(),
  };
}

/** Who did it, for the audit log: the operating-system user running the CLI. */
export function cliActor(): string {
  let user = 'unknown';
  try {
    user = os.userInfo().username;
  } catch {
    user = process.env.USER ?? 'unknown';
  }
  return `cli:${user}`;
}

/** The zone a date typed on the command line is read in: the configured top-level `timezone`. */
export function cliTimeZone(config: Config): string {
  return config.timezone;
}

/** A date/time flag, read the same way by every command (src/util/when.ts). */
export function whenFlag(config: Config, flag: string, value: string, o: Pick<WhenOptions, 'bound' | 'span'>): Date {
  return parseWhen(value, { flag, timeZone: cliTimeZone(config), ...o });
}

/** A whole-number flag within bounds, or a usage error that says which. */
export function intFlag(flag: string, value: string, min: number, max: number): number {
  const n = /^\d+$/.test(value.trim()) ? Number(value) : NaN;
  if (!Number.isSafeInteger(n) || n < min || n > max)
    throw new SealdockError(
      'USAGE',
      `${flag} must be a whole number from ${min} to ${max} (got ${JSON.stringify(value)})`,
    );
  return n;
}
