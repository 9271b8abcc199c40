// RFC 3161 against a real TSA (test/helpers/tsa.ts: `openssl ts -reply` behind a local HTTP server).
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isSealdockError } from '../../src/errors.js';
import { signatureValueOf } from '../../src/seal/cms-parse.js';
import { createSealService } from '../../src/seal/index.js';
import { requestTimestamp, verifyTimestampToken } from '../../src/seal/tsa.js';
import { startTestTsa } from '../helpers/tsa.js';
import type { TestTsa } from '../helpers/tsa.js';
import { openssl, silentLog, tempDir } from './helpers.js';
import type { TestCa } from './helpers.js';

let dir: string;
let tsa: TestTsa;
let tsaCa: TestCa;
let url: string;

beforeAll(async () => {
  dir = tempDir('sealdock-tsa-');
  tsa = await startTestTsa(path.join(dir, 'tsa'));
  tsaCa = tsa.ca;
  url = tsa.url;
});

afterAll(() => tsa.close());

describe('RFC 3161 time-stamping', () => {
  it('gets a token over the seal signature that openssl ts -verify and our verifier accept', async () => {
    tsa.mode = 'ok';
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

    // The signature value is the SignerInfo's OCTET STRING, the only primitive OCTET STRING at depth 5
    // (the token after it is an unsigned attribute): the shell recipe in docs/seal.md extracts it.
    writeFileSync(path.join(dir, 'manifest.json.p7s'), out.signature);
    const recipe = execFileSync(
      'sh',
      [
        '-c',
        "set -- $(openssl asn1parse -inform DER -in manifest.json.p7s | grep 'd=5 .*prim: OCTET STRING' | sed -E 's/^ *([0-9]+):d=5 +hl=([0-9]+) +l= *([0-9]+).*/\\1 \\2 \\3/'); tail -c +$(($1 + $2 + 1)) manifest.json.p7s | head -c $3",
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
    tsa.mode = 'ok';
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
    tsa.mode = 'ok';
    const value = Buffer.from('signature C');
    const token = Buffer.from(await requestTimestamp(url, value));
    token[token.length - 5] = token[token.length - 5]! ^ 0xff; // inside the TSA's signature
    expect(verifyTimestampToken(token, value).ok).toBe(false);
  });

  it('refuses a replayed reply (nonce), a rejection, an HTTP error and a TSA that does not answer', async () => {
    tsa.mode = 'ok';
    await requestTimestamp(url, Buffer.from('first'));
    tsa.mode = 'replay';
    expect(
      isSealdockError(await requestTimestamp(url, Buffer.from('first')).catch((e: unknown) => e), 'VERIFY_FAILED'),
    ).toBe(true);
    tsa.mode = 'reject';
    const refused = await requestTimestamp(url, Buffer.from('x')).catch((e: unknown) => e);
    expect(isSealdockError(refused, 'VERIFY_FAILED')).toBe(true);
    expect((refused as Error).message).toMatch(/refused the request \(status 2\)/);
    tsa.mode = 'broken'; // HTTP 500
    expect(isSealdockError(await requestTimestamp(url, Buffer.from('x')).catch((e: unknown) => e), 'INTERNAL')).toBe(
      true,
    );
    tsa.mode = 'hang';
    const err = await requestTimestamp(url, Buffer.from('x'), { timeoutMs: 300 }).catch((e: unknown) => e);
    expect(isSealdockError(err, 'INTERNAL')).toBe(true);
    expect((err as Error).message).toContain(url);
    tsa.mode = 'ok';
  });
});
