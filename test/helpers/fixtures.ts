import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const generatedFixtures = path.join(repoRoot, 'fixtures', 'generated');

/** Path of a fixture made by scripts/make-fixtures.sh. */
export function fixture(name: string): string {
  return path.join(generatedFixtures, name);
}
