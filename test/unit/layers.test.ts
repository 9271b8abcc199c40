// The layering rules of docs/architecture.md, checked on the source itself: only src/catalog/
// speaks SQL, and no import points back up a layer.
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const SRC = path.resolve(import.meta.dirname, '../../src');

function sources(): { file: string; text: string }[] {
  const out: { file: string; text: string }[] = [];
  const walk = (dir: string) => {
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name.endsWith('.ts')) out.push({ file: path.relative(SRC, p), text: fs.readFileSync(p, 'utf8') });
    }
  };
  walk(SRC);
  return out;
}

function importsOf(text: string): { spec: string; typeOnly: boolean }[] {
  return [...text.matchAll(/^import (type )?[^;]*?from '(\.[^']+)'/gms)].map((m) => ({
    spec: m[2]!,
    typeOnly: m[1] !== undefined,
  }));
}

function layerOf(fromFile: string, spec: string): string {
  return path.normalize(path.join(path.dirname(fromFile), spec)).split(path.sep)[0]!;
}

describe('layers', () => {
  const files = sources();

  it('only src/catalog/ prepares statements, opens transactions or runs SQL', () => {
    const offenders = files
      .filter((f) => !f.file.startsWith(`catalog${path.sep}`))
      .filter((f) => /\.(prepare|transaction|pragma)\(|\bdb\.exec\(|\brepo\.db\b/.test(f.text))
      .map((f) => f.file);
    expect(offenders).toEqual([]);
  });

  it('imports never point back up: catalog ↛ api/cli/usecases/adapters, adapters ↛ catalog, api ↛ pipeline internals', () => {
    const bad: string[] = [];
    for (const f of files) {
      const from = f.file.split(path.sep)[0]!;
      for (const { spec, typeOnly } of importsOf(f.text)) {
        const to = layerOf(f.file, spec);
        const target = path.normalize(path.join(path.dirname(f.file), spec));
        const rule =
          (from === 'catalog' &&
            ['api', 'cli', 'usecases', 'archive', 'media', 'seal', 'docks', 'intake'].includes(to)) ||
          (from === 'catalog' && to === 'audit' && !target.startsWith(`audit${path.sep}chain`)) ||
          (from === 'catalog' && to === 'pipeline' && !target.startsWith(`pipeline${path.sep}states`)) ||
          (['archive', 'media', 'seal', 'audit'].includes(from) && to === 'catalog') ||
          // the API is handed pipeline functions through ApiDeps; it may name their types
          (from === 'api' && to === 'pipeline' && !typeOnly && !target.startsWith(`pipeline${path.sep}states`));
        if (rule) bad.push(`${f.file} → ${spec}`);
      }
    }
    expect(bad).toEqual([]);
  });
});
