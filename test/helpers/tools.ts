// External checkers the suite relies on (promtool, systemd-analyze …). A missing one fails the
// test that needs it, naming the Debian package to install: a check that silently skips proves
// nothing, and `.ci/run` installs them all.
import { spawnSync } from 'node:child_process';

export function requireTool(command: string, debianPackage: string): string {
  const found = spawnSync('sh', ['-c', `command -v "$1"`, 'sh', command], { encoding: 'utf8' });
  const resolved = found.stdout.trim();
  if (found.status !== 0 || !resolved) {
    throw new Error(`${command} is not installed: apt-get install -y ${debianPackage} (.ci/run installs it)`);
  }
  return resolved;
}
