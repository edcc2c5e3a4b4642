import type { QuarantineSource } from '../package/rows.js';
import type { ExactValue } from '../package/quarantine-exact.js';

/** One quarantine line and how many of the record's values needed an `exact` original. */
export interface QuarantineLine {
  json: string;
  exactValues: number;
}

const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);
const lossyUtf8 = new TextDecoder('utf-8');

/**
 * The quarantine line of docs/stick-format.md section 5: the record as JSON
 * where JSON carries it exactly, a stand-in plus an `exact` original where it
 * cannot (bytes, integers beyond 2^53, values without a JSON form). Unlike
 * JSON.stringify this never throws and never drops or rounds a value.
 */
export function quarantineLine(
  source: QuarantineSource,
  index: number,
  reason: string,
  record: unknown,
): QuarantineLine {
  const exact: ExactValue[] = [];
  const standIn = encode(record, [], exact, new Set(), '');
  const notes = exact.map((e) => `${e.path.length ? e.path.join('.') : '(record)'}: ${NOTE[e.kind]}`);
  const row = {
    source,
    index,
    reason: [reason, ...notes].join('; '),
    record: standIn,
    ...(exact.length > 0 ? { exact } : {}),
  };
  return { json: JSON.stringify(row), exactValues: exact.length };
}

const NOTE: Record<ExactValue['kind'], string> = {
  bytes: 'bytes (binary, or text that is not valid UTF-8); the original bytes are kept as base64 in exact',
  integer: 'an integer beyond ±(2^53 - 1); kept as its decimal digits in exact',
  'not-json': 'a value JSON has no form for; null here, named in exact',
};

function encode(
  value: unknown,
  path: (string | number)[],
  exact: ExactValue[],
  ancestors: Set<object>,
  key: string,
): unknown {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return value;
    case 'number':
      if (Number.isFinite(value)) return value;
      exact.push({ path: [...path], kind: 'not-json', text: String(value) });
      return null;
    case 'bigint':
      if (value <= MAX_SAFE && value >= -MAX_SAFE) return Number(value);
      exact.push({ path: [...path], kind: 'integer', digits: value.toString() });
      return value.toString();
    case 'undefined':
    case 'function':
    case 'symbol':
      exact.push({ path: [...path], kind: 'not-json', text: describe(value) });
      return null;
  }
  if (value === null) return null;
  const obj = value as object;
  if (ArrayBuffer.isView(obj) || obj instanceof ArrayBuffer) {
    const bytes =
      obj instanceof ArrayBuffer ? new Uint8Array(obj) : new Uint8Array(obj.buffer, obj.byteOffset, obj.byteLength);
    exact.push({ path: [...path], kind: 'bytes', base64: Buffer.from(bytes).toString('base64') });
    return lossyUtf8.decode(bytes);
  }
  if (ancestors.has(obj)) {
    exact.push({ path: [...path], kind: 'not-json', text: 'a value that contains itself' });
    return null;
  }
  const toJSON = (obj as { toJSON?: unknown }).toJSON;
  if (typeof toJSON === 'function') {
    let replaced: unknown;
    try {
      replaced = toJSON.call(obj, key);
    } catch (err) {
      exact.push({ path: [...path], kind: 'not-json', text: `toJSON failed: ${describe(err)}` });
      return null;
    }
    if (replaced !== obj) return encode(replaced, path, exact, ancestors, key);
  }
  ancestors.add(obj);
  try {
    if (Array.isArray(obj)) {
      return obj.map((item, i) => encode(item, [...path, i], exact, ancestors, String(i)));
    }
    // A null prototype keeps a journal field named "__proto__" an ordinary key, as JSON.parse would.
    const out: Record<string, unknown> = Object.create(null);
    for (const k of Object.keys(obj)) {
      let v: unknown;
      try {
        v = (obj as Record<string, unknown>)[k];
      } catch (err) {
        exact.push({ path: [...path, k], kind: 'not-json', text: `unreadable: ${describe(err)}` });
        out[k] = null;
        continue;
      }
      out[k] = encode(v, [...path, k], exact, ancestors, k);
    }
    return out;
  } finally {
    ancestors.delete(obj);
  }
}

function describe(value: unknown): string {
  if (typeof value === 'function') return `function ${value.name || '(anonymous)'}`;
  if (value instanceof Error) return value.message;
  try {
    return String(value);
  } catch {
    return Object.prototype.toString.call(value);
  }
}
