// A real RFC 3161 TSA for tests: a tiny HTTP server on 127.0.0.1 that answers with `openssl ts -reply`
// (TSA certificate from its own openssl-made CA, with the critical timeStamping EKU).
import { execFile } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { promisify } from 'node:util';
import { issueCert, makeCa } from '../seal/helpers.js';
import type { TestCa } from '../seal/helpers.js';

const run = promisify(execFile);

export type TsaMode = 'ok' | 'replay' | 'reject' | 'broken' | 'hang';

export interface TestTsa {
  url: string;
  ca: TestCa;
  /** How the next requests are answered. */
  mode: TsaMode;
  readonly requests: number;
  close(): Promise<void>;
}

export async function startTestTsa(dir: string): Promise<TestTsa> {
  mkdirSync(dir, { recursive: true });
  const ca = makeCa(dir, 'tsa');
  const tsa = issueCert(ca, 'tsa', [
    'basicConstraints=critical,CA:FALSE',
    'keyUsage=critical,digitalSignature',
    'extendedKeyUsage=critical,timeStamping',
  ]);
  writeFileSync(path.join(dir, 'tsaserial'), '01\n');
  // Minimal openssl ts configuration: one TSA section, SHA-256, ESS cert id v2.
  writeFileSync(
    path.join(dir, 'tsa.cnf'),
    [
      '[ tsa ]',
      'default_tsa = tsa_config',
      '[ tsa_config ]',
      `serial = ${path.join(dir, 'tsaserial')}`,
      `signer_cert = ${tsa.cert}`,
      `signer_key = ${tsa.key}`,
      'signer_digest = sha256',
      'default_policy = 1.2.3.4.1',
      'digests = sha256, sha384, sha512',
      'accuracy = secs:1',
      'ordering = yes',
      'tsa_name = yes',
      'ess_cert_id_alg = sha256',
      // Same TSA that accepts no SHA-256 imprint: answers with status rejection (badAlg).
      '[ tsa_reject ]',
      `serial = ${path.join(dir, 'tsaserial')}`,
      `signer_cert = ${tsa.cert}`,
      `signer_key = ${tsa.key}`,
      'signer_digest = sha256',
      'default_policy = 1.2.3.4.1',
      'digests = sha512',
      '',
    ].join('\n'),
  );
  let lastReply: Buffer | undefined;
  let requests = 0;
  const state: { mode: TsaMode } = { mode: 'ok' };
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      requests++;
      if (state.mode === 'hang') return; // never answers
      if (state.mode === 'replay' && lastReply) {
        res.writeHead(200, { 'content-type': 'application/timestamp-reply' }).end(lastReply);
        return;
      }
      const work = path.join(dir, `req-${requests}`);
      mkdirSync(work);
      const q = path.join(work, 'q.tsq');
      const r = path.join(work, 'r.tsr');
      writeFileSync(q, Buffer.concat(chunks));
      const section =
        state.mode === 'reject' ? ['-section', 'tsa_reject'] : state.mode === 'broken' ? ['-section', 'nosuch'] : [];
      run('openssl', [
        'ts',
        '-reply',
        '-queryfile',
        q,
        '-signer',
        tsa.cert,
        '-inkey',
        tsa.key,
        '-config',
        path.join(dir, 'tsa.cnf'),
        '-out',
        r,
        ...section,
      ])
        .then(() => {
          lastReply = readFileSync(r);
          res.writeHead(200, { 'content-type': 'application/timestamp-reply' }).end(lastReply);
        })
        .catch(() => res.writeHead(500).end());
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/tsa`,
    ca,
    get mode() {
      return state.mode;
    },
    set mode(m: TsaMode) {
      state.mode = m;
    },
    get requests() {
      return requests;
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
