// RFC 3161 time-stamping. The token is requested over SHA-256 of the CMS signature VALUE (the
// signerInfo's signature bytes), as CAdES-T's signature-time-stamp does: it proves the seal existed at
// genTime. It goes into the CMS as the signature-time-stamp unsigned attribute (cms.ts) and is also
// stored beside the .p7s (…json.tsr), so `openssl ts -verify` can check it on its own.
import { createHash, randomBytes, X509Certificate } from 'node:crypto';
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { SealdockError, errorMessage } from '../errors.js';
import { OID, parseDer, parseSignedData } from './cms-parse.js';
import { sha256 } from './digest.js';
import { checkChain, checkSigner, hashName } from './signer-check.js';

const MAX_REPLY_BYTES = 1024 * 1024;

export interface TimestampRequestOptions {
  timeoutMs?: number;
}

/** Asks the TSA for a token over SHA-256(signatureValue); returns the TimeStampToken DER. */
export async function requestTimestamp(
  tsaUrl: string,
  signatureValue: Buffer,
  opts: TimestampRequestOptions = {},
): Promise<Buffer> {
  const imprint = sha256(signatureValue);
  const nonce = randomBytes(16);
  nonce[0] = (nonce[0]! & 0x7f) | 0x40; // positive INTEGER without a leading zero byte
  const req = new pkijs.TimeStampReq({
    version: 1,
    messageImprint: new pkijs.MessageImprint({
      hashAlgorithm: new pkijs.AlgorithmIdentifier({ algorithmId: OID.sha256, algorithmParams: new asn1js.Null() }),
      hashedMessage: new asn1js.OctetString({ valueHex: imprint }),
    }),
    nonce: new asn1js.Integer({ valueHex: nonce }),
    certReq: true,
  });

  let reply: Buffer;
  try {
    const res = await fetch(tsaUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/timestamp-query', accept: 'application/timestamp-reply' },
      body: Buffer.from(req.toSchema().toBER()),
      signal: AbortSignal.timeout(opts.timeoutMs ?? 15_000),
    });
    if (!res.ok) throw new Error(`HTTP ${res.status}`);
    reply = Buffer.from(await res.arrayBuffer());
  } catch (err) {
    // No dedicated error code for an unreachable TSA: INTERNAL, and the pipeline retries.
    throw new SealdockError('INTERNAL', `time-stamping authority ${tsaUrl} failed: ${errorMessage(err)}`, {
      tsaUrl,
    });
  }
  if (reply.length > MAX_REPLY_BYTES) throw new SealdockError('VERIFY_FAILED', 'TSA reply is too large');
  return tokenFromReply(reply, imprint, nonce);
}

/** Checks a TimeStampResp: granted, imprint and nonce ours; returns the token's original DER. */
export function tokenFromReply(reply: Buffer, imprint: Buffer, nonce: Buffer): Buffer {
  let raw: asn1js.Sequence;
  let resp: pkijs.TimeStampResp;
  try {
    raw = parseDer(reply, 'TSA reply') as asn1js.Sequence;
    resp = new pkijs.TimeStampResp({ schema: raw });
  } catch (err) {
    throw new SealdockError('VERIFY_FAILED', `TSA reply is not a TimeStampResp: ${errorMessage(err)}`);
  }
  const status = resp.status.status;
  if (status !== 0 && status !== 1) {
    const text = resp.status.statusStrings?.map((s) => s.valueBlock.value).join('; ') ?? '';
    throw new SealdockError('VERIFY_FAILED', `TSA refused the request (status ${status}) ${text}`.trim());
  }
  const tokenBlock = raw.valueBlock.value[1];
  if (!tokenBlock) throw new SealdockError('VERIFY_FAILED', 'TSA granted but sent no token');
  const token = Buffer.from(tokenBlock.valueBeforeDecodeView);
  const tst = readTstInfo(token);
  if (!Buffer.from(tst.messageImprint.hashedMessage.valueBlock.valueHexView).equals(imprint)) {
    throw new SealdockError('VERIFY_FAILED', 'TSA token is over a different message imprint');
  }
  if (!tst.nonce || !Buffer.from(tst.nonce.valueBlock.valueHexView).equals(nonce)) {
    throw new SealdockError('VERIFY_FAILED', 'TSA token nonce does not match the request (replay?)');
  }
  return token;
}

function readTstInfo(token: Buffer): pkijs.TSTInfo {
  const sd = parseSignedData(token, 'time-stamp token');
  if (sd.eContentType !== OID.tstInfo || !sd.eContent) {
    throw new SealdockError('VERIFY_FAILED', 'time-stamp token does not hold a TSTInfo');
  }
  return new pkijs.TSTInfo({ schema: parseDer(sd.eContent, 'TSTInfo') });
}

export interface TimestampCheck {
  ok: boolean;
  genTime?: string | undefined;
  tsaCertificateSha256?: string | undefined;
  problems: string[];
}

/**
 * Verifies a token against the signature value it should cover: imprint, the TSA's CMS signature,
 * the TSA certificate's timeStamping EKU and, when anchors are given, its chain at genTime.
 */
export function verifyTimestampToken(
  token: Buffer,
  signatureValue: Buffer,
  opts: { trustedCaPems?: string[] } = {},
): TimestampCheck {
  try {
    return checkToken(token, signatureValue, opts);
  } catch (err) {
    return { ok: false, problems: [`time-stamp token cannot be checked: ${errorMessage(err)}`] };
  }
}

function checkToken(token: Buffer, signatureValue: Buffer, opts: { trustedCaPems?: string[] }): TimestampCheck {
  const problems: string[] = [];
  let tst: pkijs.TSTInfo;
  let sd: ReturnType<typeof parseSignedData>;
  try {
    sd = parseSignedData(token, 'time-stamp token');
    tst = readTstInfo(token);
  } catch (err) {
    return { ok: false, problems: [errorMessage(err)] };
  }
  const hash = hashName(tst.messageImprint.hashAlgorithm.algorithmId);
  if (hash === undefined) problems.push('time-stamp imprint uses an unsupported hash');
  else {
    const expected = createHash(hash).update(signatureValue).digest();
    if (!Buffer.from(tst.messageImprint.hashedMessage.valueBlock.valueHexView).equals(expected)) {
      problems.push('time-stamp token is over a different signature value');
    }
  }
  const genTime = tst.genTime;
  const si = sd.signerInfos[0];
  let tsaCertificateSha256: string | undefined;
  if (!si || sd.signerInfos.length !== 1) problems.push('time-stamp token must have exactly one signer');
  else {
    const { certificate } = checkSigner(si, sd.eContent ?? Buffer.alloc(0), OID.tstInfo, problems);
    if (certificate) {
      tsaCertificateSha256 = sha256(certificate.raw).toString('hex');
      if (!(certificate.keyUsage ?? []).includes(OID.timeStamping)) {
        problems.push('TSA certificate lacks the timeStamping extended key usage');
      }
      if (opts.trustedCaPems && opts.trustedCaPems.length > 0) {
        const others = sd.certificates.map((d) => new X509Certificate(d));
        const anchors = opts.trustedCaPems.map((p) => new X509Certificate(p));
        problems.push(...checkChain(certificate, others, anchors, genTime).problems);
      }
    }
  }
  return { ok: problems.length === 0, genTime: genTime.toISOString(), tsaCertificateSha256, problems };
}
