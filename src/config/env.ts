// Configuration from the environment, derived from the schema so every new key gets a variable
// for free. The rule (docs/configuration.md): `SEALDOCK_` + the key path, each camelCase segment
// in UPPER_SNAKE_CASE, segments joined by `_`:
//   api.port → SEALDOCK_API_PORT, archive.s3.forcePathStyle → SEALDOCK_ARCHIVE_S3_FORCE_PATH_STYLE
// Values are read per the key's type: numbers, `true`/`false`, enum names, JSON arrays for lists
// of scalars; an empty value is null for a key that may be null. Lists of objects (`docks`) come
// only from a file. Precedence: embedded defaults < config file < environment.
import type { z } from 'zod';
import { ConfigSchema } from './schema.js';

export const ENV_PREFIX = 'SEALDOCK_';

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

type Scalar = { kind: 'string' } | { kind: 'number' } | { kind: 'boolean' } | { kind: 'enum'; values: string[] };

export interface EnvKey {
  /** dotted key path, e.g. `archive.s3.bucket` */
  key: string;
  path: string[];
  variable: string;
  type: Scalar | { kind: 'list'; element: Scalar };
  nullable: boolean;
}

/** `forcePathStyle` → `FORCE_PATH_STYLE`, `s3` → `S3`. */
function snake(segment: string): string {
  return segment.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toUpperCase();
}

export function variableFor(path: readonly string[]): string {
  return ENV_PREFIX + path.map(snake).join('_');
}

interface ZodLike {
  def: { type: string; innerType?: ZodLike; element?: ZodLike; entries?: Record<string, string> };
  shape?: Record<string, ZodLike>;
}

function unwrap(schema: ZodLike): { schema: ZodLike; nullable: boolean } {
  let nullable = false;
  let s = schema;
  while (['default', 'optional', 'nullable', 'prefault', 'readonly'].includes(s.def.type) && s.def.innerType) {
    if (s.def.type === 'nullable') nullable = true;
    s = s.def.innerType;
  }
  return { schema: s, nullable };
}

function scalarOf(s: ZodLike): Scalar | null {
  switch (s.def.type) {
    case 'string':
    case 'number':
    case 'boolean':
      return { kind: s.def.type };
    case 'enum':
      return { kind: 'enum', values: Object.values(s.def.entries ?? {}) };
    default:
      return null;
  }
}

/**
 * Every key of the schema, as documented (docs/configuration.md): dotted paths, `docks[].id` for
 * the fields of list items. Only keys outside lists of objects have an environment variable.
 */
export function configKeys(
  schema: z.ZodType = ConfigSchema,
): (Omit<EnvKey, 'variable'> & { variable: string | null })[] {
  const out: (Omit<EnvKey, 'variable'> & { variable: string | null })[] = [];
  const walk = (node: ZodLike, path: string[], inList: boolean) => {
    const { schema: s, nullable } = unwrap(node);
    if (s.def.type === 'object' && s.shape) {
      for (const [k, child] of Object.entries(s.shape)) walk(child, [...path, k], inList);
      return;
    }
    const element = s.def.type === 'array' && s.def.element ? unwrap(s.def.element).schema : null;
    if (element?.def.type === 'object') {
      walk(element, [...path.slice(0, -1), `${path.at(-1)!}[]`], true);
      return;
    }
    const scalar = scalarOf(s);
    const listOf = element ? scalarOf(element) : null;
    const type = scalar ?? (listOf ? { kind: 'list' as const, element: listOf } : null);
    if (type) out.push({ key: path.join('.'), path, variable: inList ? null : variableFor(path), type, nullable });
  };
  walk(schema as unknown as ZodLike, [], false);
  return out;
}

/** Every key that can come from the environment: the scalars and lists of scalars of the schema. */
export function envKeys(schema: z.ZodType = ConfigSchema): EnvKey[] {
  const out = configKeys(schema).filter((k): k is EnvKey => k.variable !== null);
  const seen = new Map<string, string>();
  for (const k of out) {
    const other = seen.get(k.variable);
    if (other) throw new Error(`config keys ${other} and ${k.key} both map to ${k.variable}; rename one`);
    seen.set(k.variable, k.key);
  }
  return out;
}

/** Variables sealdock reads that are not configuration keys. */
export const OTHER_VARIABLES = ['SEALDOCK_CONFIG'];

export interface EnvOverrides {
  /** the overrides as a partial config document, to merge over the file */
  document: Record<string, Json>;
  /** dotted key → the variable it came from (for error messages) */
  variables: Map<string, string>;
  /** problems, each naming its variable */
  problems: string[];
  /** SEALDOCK_* variables that name no key (typos), for a warning */
  unknown: string[];
}

function parseScalar(type: Scalar, raw: string): { value: Json } | { problem: string } {
  switch (type.kind) {
    case 'string':
      return { value: raw };
    case 'number':
      return /^-?\d+(\.\d+)?$/.test(raw.trim()) ? { value: Number(raw) } : { problem: 'not a number' };
    case 'boolean': {
      const v = raw.trim().toLowerCase();
      if (v === 'true' || v === '1') return { value: true };
      if (v === 'false' || v === '0') return { value: false };
      return { problem: 'not a boolean (true or false)' };
    }
    case 'enum':
      return type.values.includes(raw) ? { value: raw } : { problem: `must be one of ${type.values.join(', ')}` };
  }
}

function parseValue(k: EnvKey, raw: string): { value: Json } | { problem: string } {
  if (raw === '') return k.nullable ? { value: null } : { problem: 'empty (this key may not be null)' };
  if (k.type.kind !== 'list') return parseScalar(k.type, raw);
  let list: unknown;
  try {
    list = JSON.parse(raw);
  } catch {
    return { problem: 'not a JSON array (e.g. ["a","b"])' };
  }
  if (!Array.isArray(list)) return { problem: 'not a JSON array (e.g. ["a","b"])' };
  const element = k.type.element;
  const values: Json[] = [];
  for (const item of list) {
    const parsed = parseScalar(element, typeof item === 'string' ? item : JSON.stringify(item));
    if ('problem' in parsed) return { problem: `item ${JSON.stringify(item)}: ${parsed.problem}` };
    values.push(parsed.value);
  }
  return { value: values };
}

function show(raw: string): string {
  return JSON.stringify(raw.length > 80 ? `${raw.slice(0, 80)}…` : raw);
}

export function envOverrides(env: NodeJS.ProcessEnv, keys: EnvKey[] = envKeys()): EnvOverrides {
  const result: EnvOverrides = { document: {}, variables: new Map(), problems: [], unknown: [] };
  const known = new Set([...keys.map((k) => k.variable), ...OTHER_VARIABLES]);
  for (const name of Object.keys(env)) {
    if (name.startsWith(ENV_PREFIX) && !known.has(name)) result.unknown.push(name);
  }
  for (const k of keys) {
    const raw = env[k.variable];
    if (raw === undefined) continue;
    const parsed = parseValue(k, raw);
    if ('problem' in parsed) {
      result.problems.push(`${k.variable}=${show(raw)} (${k.key}): ${parsed.problem}`);
      continue;
    }
    let node = result.document;
    for (const seg of k.path.slice(0, -1)) node = (node[seg] ??= {}) as Record<string, Json>;
    node[k.path.at(-1)!] = parsed.value;
    result.variables.set(k.key, k.variable);
  }
  return result;
}
