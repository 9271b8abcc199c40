// RFC 3161 against a real TSA: a tiny HTTP server on 127.0.0.1 that answers with `openssl ts -reply`.
import { execFile, execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isSealdockError } from '../../src/errors.js';
import { signatureValueOf } from '../../src/seal/cms-parse.js';
import { createSealService } from '../../src/seal/index.js';
import { requestTimestamp, verifyTimestampToken } from '../../src/seal/tsa.js';
import { issueCert, makeCa, openssl, silentLog, tempDir } from './helpers.js';
import type { TestCa } from './helpers.js';

const run = promisify(execFile);

let dir: string;
let tsaCa: TestCa;
let server: http.Server;
let url: string;
let mode: 'ok' | 'replay' | 'reject' | 'broken' | 'hang' = 'ok';
let lastReply: Buffer | undefined;
let requests = 0;

beforeAll(async () => {
  dir = tempDir('sealdock-tsa-');
  tsaCa = makeCa(dir, 'tsa');
  const tsa = issueCert(tsaCa, 'tsa', [
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
  server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      requests++;
      if (mode === 'hang') return; // never answers
      if (mode === 'replay' && lastReply) {
        res.writeHead(200, { 'content-type': 'application/timestamp-reply' }).end(lastReply);
        return;
      }
      const work = path.join(dir, `req-${requests}`);
      mkdirSync(work);
      const q = path.join(work, 'q.tsq');
      const r = path.join(work, 'r.tsr');
      writeFileSync(q, Buffer.concat(chunks));
      const reject = mode === 'reject' ? ['-section', 'tsa_reject'] : mode === 'broken' ? ['-section', 'nosuch'] : [];
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
        ...reject,
      ])
        .then(() => {
          lastReply = readFileSync(r);
          res.writeHead(200, { 'content-type': 'application/timestamp-reply' }).end(lastReply);
        })
        .catch(() => res.writeHead(500).end());
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/tsa`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

describe('RFC 3161 time-stamping', () => {
  it('gets a token over the seal signature that openssl ts -verify and our verifier accept', async () => {
    mode = 'ok';
    const service = createSealService(
      { devDir: path.join(dir, 'seal'), tsaUrl: url, tsaTrustedCaFiles: [tsaCa.caCert] },
      silentLog,
    );
    const manifest = Buffer.from('{"evidenceId":"ev-tsa"}');
    const out = await service.seal(manifest);
    expect(out.timestampToken).toBeDefined();
    const token = out.timestampToken!;
    const sigValue = signatureValueOf(out.signature);
    const sigFile = path.join(dir, 'signature-value.bin');
    const tokenFile = path.join(dir, 'manifest.json.tsr');
    writeFileSync(sigFile, sigValue);
    writeFileSync(tokenFile, token);

    // The signature value is the p7s's last OCTET STRING (one signer, no unsigned attributes): the
    // shell recipe in docs/seal.md extracts it with openssl asn1parse + tail.
    writeFileSync(path.join(dir, 'manifest.json.p7s'), out.signature);
    const recipe = execFileSync(
      'bash',
      [
        '-c',
        'L=$(openssl asn1parse -inform DER -in manifest.json.p7s | tail -1 | sed -E "s/.* l= *([0-9]+) .*/\\1/"); tail -c "$L" manifest.json.p7s',
      ],
      { cwd: dir },
    );
    expect(Buffer.from(recipe).equals(sigValue)).toBe(true);

    // What an auditor runs: the token covers SHA-256 of the signature value (the signerInfo's signature).
    const r = openssl(['ts', '-verify', '-data', sigFile, '-in', tokenFile, '-token_in', '-CAfile', tsaCa.caCert]);
    expect(r.stdout + r.stderr).toContain('Verification: OK');
    expect(r.status).toBe(0);

    const own = verifyTimestampToken(token, sigValue, { trustedCaPems: [readFileSync(tsaCa.caCert, 'utf8')] });
    expect(own.problems).toEqual([]);
    expect(own.ok).toBe(true);
    expect(Math.abs(Date.parse(own.genTime ?? '') - Date.now())).toBeLessThan(120_000);

    const check = service.verify(manifest, out.signature, token);
    expect(check.problems).toEqual([]);
    expect(check.timestampTime).toBe(own.genTime);
  });

  it('rejects a token over another signature value', async () => {
    mode = 'ok';
    const token = await requestTimestamp(url, Buffer.from('signature A'));
    const check = verifyTimestampToken(token, Buffer.from('signature B'));
    expect(check.ok).toBe(false);
    expect(check.problems.join()).toMatch(/different signature value/);
    // and openssl agrees
    writeFileSync(path.join(dir, 'b.bin'), 'signature B');
    writeFileSync(path.join(dir, 'a.tsr'), token);
    const r = openssl([
      'ts',
      '-verify',
      '-data',
      path.join(dir, 'b.bin'),
      '-in',
      path.join(dir, 'a.tsr'),
      '-token_in',
      '-CAfile',
      tsaCa.caCert,
    ]);
    expect(r.status).not.toBe(0);
  });

  it('rejects a tampered token', async () => {
    mode = 'ok';
    const value = Buffer.from('signature C');
    const token = Buffer.from(await requestTimestamp(url, value));
    token[token.length - 5] = token[token.length - 5]! ^ 0xff; // inside the TSA's signature
    expect(verifyTimestampToken(token, value).ok).toBe(false);
  });

  it('refuses a replayed reply (nonce), a rejection, an HTTP error and a TSA that does not answer', async () => {
    mode = 'ok';
    await requestTimestamp(url, Buffer.from('first'));
    mode = 'replay';
    expect(
      isSealdockError(await requestTimestamp(url, Buffer.from('first')).catch((e: unknown) => e), 'VERIFY_FAILED'),
    ).toBe(true);
    mode = 'reject';
    const refused = await requestTimestamp(url, Buffer.from('x')).catch((e: unknown) => e);
    expect(isSealdockError(refused, 'VERIFY_FAILED')).toBe(true);
    expect((refused as Error).message).toMatch(/refused the request \(status 2\)/);
    mode = 'broken'; // HTTP 500
    expect(isSealdockError(await requestTimestamp(url, Buffer.from('x')).catch((e: unknown) => e), 'INTERNAL')).toBe(
      true,
    );
    mode = 'hang';
    const err = await requestTimestamp(url, Buffer.from('x'), { timeoutMs: 300 }).catch((e: unknown) => e);
    expect(isSealdockError(err, 'INTERNAL')).toBe(true);
    expect((err as Error).message).toContain(url);
    mode = 'ok';
  });
});
