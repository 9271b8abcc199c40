import type { Command } from 'commander';
import { ROLES, parseToken, type Role } from '../../catalog/tokens-repo.js';
import { SealdockError } from '../../errors.js';
import { cliActor, cliConfig, openCatalogFor, whenFlag, type GlobalOptions } from '../context.js';
import { printJson, printTable } from '../output.js';

export function registerTokens(program: Command, globals: () => GlobalOptions): void {
  const tokens = program.command('tokens').description('API bearer tokens (only a hash of each secret is kept)');

  tokens
    .command('create')
    .description('create a token and print it ONCE')
    .requiredOption('--role <role>', `one of ${ROLES.join(', ')}`)
    .option('--label <text>', 'who or what holds it')
    .option(
      '--expires <when>',
      'a span like 30d or 12h, a date (valid through that day, in the configured zone) or an ISO instant',
    )
    .option('--dock <id>', 'bind a dock token to one dock')
    .option('--json', 'machine-readable output')
    .action((o: { role: string; label?: string; expires?: string; dock?: string; json?: boolean }) => {
      if (!(ROLES as readonly string[]).includes(o.role))
        throw new SealdockError('USAGE', `--role must be one of ${ROLES.join(', ')}`);
      const config = cliConfig(globals());
      if (o.dock !== undefined && !config.docks.some((d) => d.id === o.dock))
        throw new SealdockError('USAGE', `--dock: no dock ${o.dock} in the config`);
      const expiresAt =
        o.expires === undefined
          ? undefined
          : whenFlag(config, '--expires', o.expires, { bound: 'end', span: 'future' }).toISOString();
      if (expiresAt !== undefined && Date.parse(expiresAt) <= Date.now())
        throw new SealdockError('USAGE', `--expires: ${expiresAt} is already past`);
      const cat = openCatalogFor(config, { mustExist: false });
      try {
        const repo = cat.tokens;
        const { token, record } = repo.create(
          { role: o.role as Role, label: o.label, dockId: o.dock, expiresAt },
          cliActor(),
        );
        if (o.json) return printJson({ ...record, token });
        process.stdout.write(`${token}\n`);
        process.stderr.write(
          `token ${record.id} (${record.role}${record.dockId ? `, dock ${record.dockId}` : ''}${record.expiresAt ? `, expires ${record.expiresAt}` : ''}) created; the secret is shown only now\n`,
        );
      } finally {
        cat.close();
      }
    });

  tokens
    .command('list')
    .description('tokens (never their secrets)')
    .option('--json', 'machine-readable output')
    .action((o: { json?: boolean }) => {
      const cat = openCatalogFor(cliConfig(globals()), { mustExist: false });
      try {
        const list = cat.tokens.list();
        if (o.json) return printJson(list);
        const now = Date.now();
        printTable(
          ['id', 'role', 'label', 'dock', 'status', 'expires', 'last used'],
          list.map((t) => [
            t.id,
            t.role,
            t.label,
            t.dockId,
            t.revokedAt ? 'revoked' : t.expiresAt && Date.parse(t.expiresAt) <= now ? 'expired' : 'active',
            t.expiresAt,
            t.lastUsedAt,
          ]),
        );
      } finally {
        cat.close();
      }
    });

  tokens
    .command('revoke <id>')
    .description('revoke a token by its id (tokens list); it fails from the next request on')
    .option('--json', 'machine-readable output')
    .action((id: string, o: { json?: boolean }) => {
      // Never echo what was given: it may be a secret pasted by mistake.
      const pasted = parseToken(id.trim());
      if (pasted)
        throw new SealdockError(
          'USAGE',
          `that is a token secret, not its id; run: sealdock tokens revoke ${pasted.id} (the secret is not printed; treat it as exposed if it was typed in a shared shell history)`,
        );
      if (!/^[0-9a-f]{16}$/.test(id))
        throw new SealdockError('USAGE', 'a token id is 16 hexadecimal digits (see sealdock tokens list)');
      const cat = openCatalogFor(cliConfig(globals()));
      try {
        const t = cat.tokens.revoke(id, cliActor());
        if (o.json) return printJson(t);
        process.stdout.write(`token ${t.id} revoked at ${t.revokedAt}\n`);
      } finally {
        cat.close();
      }
    });
}
