// RFC 8785 (JCS) canonical JSON, the byte form we hash and seal. One wrapper so the library
// can be replaced in one place.
import canonicalizeLib from 'canonicalize';

const canonicalize = canonicalizeLib as unknown as (value: unknown) => string | undefined;

export function canonicalJson(value: unknown): string {
  const text = canonicalize(value);
  if (text === undefined) throw new TypeError('value cannot be represented as canonical JSON');
  return text;
}

export function canonicalBytes(value: unknown): Buffer {
  return Buffer.from(canonicalJson(value), 'utf8');
}
