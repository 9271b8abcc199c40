// What a CLI command gets: the validated config and, when it needs it, the catalog.
import fs from 'node:fs';
import { catalogPath, openCatalog, type Db } from '../catalog/db.js';
import { DevicesRepo } from '../catalog/devices-repo.js';
import { EvidenceRepo } from '../catalog/evidence-repo.js';
import { TokensRepo } from '../catalog/tokens-repo.js';
import { loadConfig } from '../config/load.js';
import type { Config } from '../config/schema.js';
import { SealdockError } from '../errors.js';
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
