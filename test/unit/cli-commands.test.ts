import { describe, expect, it } from 'vitest';
import { buildProgram, commandNamed } from '../../src/cli/main.js';

describe('sealdock command line: only the command asked for is loaded', () => {
  it('finds the command after the global options and their values', () => {
    expect(commandNamed(['--config', 'x.yaml', 'report', '--year', '2026'])).toBe('report');
    expect(commandNamed(['-c', 'report', 'tokens', 'create'])).toBe('tokens'); // a config file named "report"
    expect(commandNamed(['--config=x.yaml', 'list'])).toBe('list');
    expect(commandNamed(['--help'])).toBeUndefined();
    expect(commandNamed([])).toBeUndefined();
  });

  it('registers that command alone, every command for help or a name it does not know', async () => {
    const names = async (args: string[]) => (await buildProgram(args)).commands.map((c) => c.name());
    expect(await names(['report', '--year', '2026'])).toEqual(['report']);
    expect(await names(['hold', 'ev-1'])).toEqual(['hold', 'release', 'retain', 'reindex']);
    const all = await names([]);
    expect(all).toEqual(expect.arrayContaining(['start', 'status', 'list', 'show', 'verify', 'export', 'tokens']));
    expect(all).toHaveLength(17);
    expect(await names(['bogus'])).toEqual(all);
  });
});
