// Embedded defaults ← override file (--config / SEALDOCK_CONFIG) ← environment (SEALDOCK_*, see env.ts).
// Validated once; every problem names its key, and the variable when the value came from one.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml } from 'yaml';
import { SealdockError } from '../errors.js';
import { envOverrides } from './env.js';
import { ConfigSchema, type Config } from './schema.js';

export const DEFAULT_CONFIG_PATH = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  '../../config/default.yaml',
);

export interface LoadedConfig {
  config: Config;
  /** Files read, in order, then the environment variables used, for `status` and the start-up log. */
  sources: string[];
  /** SEALDOCK_* variables that name no configuration key (probably typos): the daemon warns. */
  unknownEnv: string[];
}

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

function readYaml(file: string): Record<string, Json> {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    throw new SealdockError('CONFIG_INVALID', `cannot read config file ${file}: ${(err as Error).message}`);
  }
  let doc: unknown;
  try {
    doc = parseYaml(text, { prettyErrors: true, uniqueKeys: true });
  } catch (err) {
    throw new SealdockError('CONFIG_INVALID', `config file ${file} is not valid YAML: ${(err as Error).message}`);
  }
  if (doc === null || doc === undefined) return {};
  if (typeof doc !== 'object' || Array.isArray(doc)) {
    throw new SealdockError('CONFIG_INVALID', `config file ${file} must hold a mapping of keys at its top level`);
  }
  return doc as Record<string, Json>;
}

/** Objects merge key by key; arrays and scalars replace (a dock list is given whole). */
export function mergeConfig(base: Json, override: Json): Json {
  if (
    base &&
    override &&
    typeof base === 'object' &&
    typeof override === 'object' &&
    !Array.isArray(base) &&
    !Array.isArray(override)
  ) {
    const out: Record<string, Json> = { ...base };
    for (const [k, v] of Object.entries(override)) out[k] = k in base ? mergeConfig(base[k] as Json, v) : v;
    return out;
  }
  return override;
}

function resolvePaths(config: Config, baseDir: string): Config {
  const abs = (p: string) => path.resolve(baseDir, p);
  const optAbs = (p: string | null) => (p === null ? null : abs(p));
  return {
    ...config,
    dataDir: abs(config.dataDir),
    nodeId: config.nodeId ?? os.hostname(),
    docks: config.docks.map((d) => ({ ...d, path: abs(d.path) })),
    archive: { ...config.archive, local: { path: abs(config.archive.local.path) } },
    seal: {
      ...config.seal,
      keyFile: optAbs(config.seal.keyFile),
      certFile: optAbs(config.seal.certFile),
      chainFile: optAbs(config.seal.chainFile),
      pkcs12File: optAbs(config.seal.pkcs12File),
      trustedCaFiles: config.seal.trustedCaFiles.map(abs),
      tsaTrustedCaFiles: config.seal.tsaTrustedCaFiles.map(abs),
    },
  };
}

function checkConsistency(config: Config): void {
  const problems: string[] = [];
  const ids = new Set<string>();
  if (!isTimeZone(config.timezone)) problems.push(`timezone: unknown time zone "${config.timezone}"`);
  config.docks.forEach((d, i) => {
    if (ids.has(d.id)) problems.push(`docks[${i}].id: duplicate dock id "${d.id}"`);
    ids.add(d.id);
    if (d.timezone !== null && !isTimeZone(d.timezone))
      problems.push(`docks[${i}].timezone: unknown time zone "${d.timezone}"`);
  });
  if (config.archive.backend === 's3' && !config.archive.s3.bucket) {
    problems.push('archive.s3.bucket: required when archive.backend is "s3"');
  }
  if (config.seal.pkcs12File && (config.seal.keyFile || config.seal.certFile)) {
    problems.push('seal: give either pkcs12File or keyFile + certFile, not both');
  }
  if (Boolean(config.seal.keyFile) !== Boolean(config.seal.certFile)) {
    problems.push('seal: keyFile and certFile go together');
  }
  if (config.pipeline.retry.maxDelayMs < config.pipeline.retry.baseDelayMs) {
    problems.push('pipeline.retry.maxDelayMs: must not be below baseDelayMs');
  }
  if (problems.length) throw new SealdockError('CONFIG_INVALID', `invalid configuration:\n  ${problems.join('\n  ')}`);
}

export function loadConfig(
  opts: { file?: string | undefined; env?: NodeJS.ProcessEnv; cwd?: string } = {},
): LoadedConfig {
  const env = opts.env ?? process.env;
  const cwd = opts.cwd ?? process.cwd();
  const sources = [DEFAULT_CONFIG_PATH];
  let merged: Json = readYaml(DEFAULT_CONFIG_PATH);
  const overrideFile = opts.file ?? env.SEALDOCK_CONFIG;
  if (overrideFile) {
    const file = path.resolve(cwd, overrideFile);
    merged = mergeConfig(merged, readYaml(file));
    sources.push(file);
  }
  const fromEnv = envOverrides(env);
  if (fromEnv.problems.length) {
    throw new SealdockError(
      'CONFIG_INVALID',
      `invalid configuration from the environment:\n  ${fromEnv.problems.join('\n  ')}`,
    );
  }
  merged = mergeConfig(merged, fromEnv.document);
  if (fromEnv.variables.size) sources.push(`environment (${[...fromEnv.variables.values()].join(', ')})`);

  const parsed = ConfigSchema.safeParse(merged);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((issue) => {
      const key = issue.path
        .map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`))
        .join('')
        .replace(/^\./, '');
      const dotted = issue.path.filter((p) => typeof p === 'string').join('.');
      const variable = [...fromEnv.variables].find(([k]) => dotted === k || dotted.startsWith(`${k}.`))?.[1];
      return `${key || '(top level)'}${variable ? ` (from ${variable})` : ''}: ${issue.message}`;
    });
    throw new SealdockError(
      'CONFIG_INVALID',
      `invalid configuration (${sources.join(' ← ')}):\n  ${lines.join('\n  ')}`,
    );
  }
  checkConsistency(parsed.data);
  // The passphrase variable is named by the config itself (seal.passphraseEnv), often SEALDOCK_SEAL_PASSPHRASE.
  const unknownEnv = fromEnv.unknown.filter((name) => name !== parsed.data.seal.passphraseEnv);
  return { config: resolvePaths(parsed.data, cwd), sources, unknownEnv };
}

function isTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}
