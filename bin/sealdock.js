#!/usr/bin/env node
// Thin launcher: the compiled CLI lives in dist/ (built by `npm ci` through the prepare script).
// Refuses an unsupported Node plainly rather than failing somewhere inside a dependency.
const [major, minor] = process.versions.node.split('.').map(Number);
if (major < 22 || (major === 22 && minor < 12)) {
  process.stderr.write(
    `sealdock: needs Node >= 22.12, this is ${process.version}. scripts/node-lts.sh fetches Node 24 LTS:\n` +
      `  eval "$(scripts/node-lts.sh env)"\n`,
  );
  process.exit(1);
}
const { main } = await import('../dist/cli/main.js');
process.exitCode = await main(process.argv);
