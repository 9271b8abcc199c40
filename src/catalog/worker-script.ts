// Where a worker thread's script is: next to the module that starts it, with that module's own
// extension (.js when built; .ts when the tests run the sources through Node's type stripping,
// which is why a worker script may import only node built-ins and packages, never our modules).
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export function workerScript(startingModuleUrl: string, name: string): string {
  const here = fileURLToPath(startingModuleUrl);
  return path.join(path.dirname(here), `${name}${path.extname(here)}`);
}
