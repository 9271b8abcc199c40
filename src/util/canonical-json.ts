// RFC 8785 (JCS) canonical JSON, the byte form we hash and seal. One wrapper so the library
// can be replaced in one place.
import canonicalizeLib from 'canonicalize';

// CommonJS (`module.exports = fn`) with a .d.ts that says `export default`: under NodeNext the
// default import is typed as the module object but is the function at runtime.
const canonicalize = ((canonicalizeLib as unknown as { default?: unknown }).default ?? canonicalizeLib) as (
  value: unknown,
) => string | undefined;

export function canonicalJson(value: unknown): string {
  const text = canonicalize(value);
  if (text === undefined) throw new TypeError('value cannot be represented as canonical JSON');
  return text;
}

export function canonicalBytes(value: unknown): Buffer {
  return Buffer.from(canonicalJson(value), 'utf8');
}
