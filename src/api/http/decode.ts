import { HttpError } from '../../server/errors.js';
import { JsonNumber } from '../../server/json-parse.js';
import type { BodySchemas, IntKind, Kind, Schema, StructSchema } from './schema.js';

/**
 * Decodes parsed JSON against a body schema the way Go's encoding/json decodes into the daemons'
 * structs: a key names the field whose json name it equals, else one it equals ignoring case;
 * unknown keys are dropped; `null` leaves the zero value (the field stays absent); a value of
 * the wrong type is a 400 worded as Go words it. The output holds only schema fields, under
 * their canonical names, with the types the schema promises.
 */
export function decode(schemas: BodySchemas, root: Schema, value: unknown): unknown {
  if (value === null) return undefined;
  return new Decoder(schemas).value(root, value, TOP);
}

/** Where a value sits, as Go's errors name it: the innermost struct and the JSON field path. */
interface At {
  struct: string;
  fields: string[];
}

const TOP: At = { struct: '', fields: [] };

const INT_RANGE: Record<IntKind, [bigint, bigint]> = {
  int: [-(2n ** 63n), 2n ** 63n - 1n],
  int64: [-(2n ** 63n), 2n ** 63n - 1n],
  int32: [-(2n ** 31n), 2n ** 31n - 1n],
  int16: [-(2n ** 15n), 2n ** 15n - 1n],
  int8: [-128n, 127n],
  uint: [0n, 2n ** 64n - 1n],
  uint64: [0n, 2n ** 64n - 1n],
  uint32: [0n, 2n ** 32n - 1n],
  uint16: [0n, 65535n],
  uint8: [0n, 255n],
};

const SCALARS = new Set<Kind>(['string', 'bool', 'float64', 'rlimit', ...(Object.keys(INT_RANGE) as IntKind[])]);

class Decoder {
  private readonly indexes = new Map<StructSchema, Map<string, string>>();

  constructor(private readonly schemas: BodySchemas) {}

  value(s: Schema, v: unknown, at: At, prev?: unknown): unknown {
    if (typeof s === 'string') return this.kind(s, v, at);
    if ('ref' in s) return this.struct(s, v, at, prev);
    if ('array' in s) {
      if (!Array.isArray(v)) throw this.mismatch(v, s, at);
      return v.map((e) => (e === null ? this.zero(s.array) : this.value(s.array, e, at)));
    }
    if (!isObject(v)) throw this.mismatch(v, s, at);
    // Go adds to a map it already holds (a repeated key); each value is decoded afresh.
    const out = isObject(prev) ? prev : {};
    for (const [k, e] of Object.entries(v)) setOwn(out, k, e === null ? this.zero(s.map) : this.value(s.map, e, at));
    return out;
  }

  private struct(s: { ref: string }, v: unknown, at: At, prev: unknown): Record<string, unknown> {
    const st = this.schemas.structs[s.ref];
    if (!st) throw new Error(`body schema names no struct ${s.ref}`);
    if (!isObject(v)) throw this.mismatch(v, s, at);
    const name = st.go.slice(st.go.lastIndexOf('.') + 1);
    const out = isObject(prev) ? prev : {};
    for (const [k, e] of Object.entries(v)) {
      const f = Object.hasOwn(st.fields, k) ? k : this.folded(st).get(fold(k));
      if (f === undefined) continue;
      const fs = st.fields[f]!;
      if (e === null) {
        // null leaves a scalar as it was and sets a list, map or pointer to nil.
        if (typeof fs !== 'string' || !SCALARS.has(fs)) delete out[f];
        continue;
      }
      out[f] = this.value(fs, e, { struct: name, fields: [...at.fields, f] }, out[f]);
    }
    return out;
  }

  /** Folded name → the first field with that folded name (Go's case-insensitive match). */
  private folded(st: StructSchema): Map<string, string> {
    let m = this.indexes.get(st);
    if (!m) {
      m = new Map();
      for (const f of Object.keys(st.fields)) if (!m.has(fold(f))) m.set(fold(f), f);
      this.indexes.set(st, m);
    }
    return m;
  }

  private kind(k: Kind, v: unknown, at: At): unknown {
    switch (k) {
      case 'string':
        if (typeof v !== 'string') throw this.mismatch(v, k, at);
        return v;
      case 'bool':
        if (typeof v !== 'boolean') throw this.mismatch(v, k, at);
        return v;
      case 'float64':
        if (typeof v === 'number') return v;
        if (v instanceof JsonNumber) {
          if (!Number.isFinite(v.value)) throw this.mismatch(v, k, at, v.source);
          return v.value;
        }
        throw this.mismatch(v, k, at);
      case 'any':
        return plain(v);
      case 'object':
        if (!isObject(v)) throw this.mismatch(v, k, at);
        return plain(v);
      case 'strslice':
        // Go tries a list of strings, then one string; the second attempt's error is the one seen.
        if (typeof v === 'string') return [v];
        if (Array.isArray(v) && v.every((e) => typeof e === 'string' || e === null)) return v.map((e) => e ?? '');
        throw this.mismatch(v, 'string', at);
      case 'rlimit':
        if (sourceOf(v) === '-1') return -1;
        return this.int('uint64', v, at);
      default:
        return this.int(k, v, at);
    }
  }

  private int(k: IntKind, v: unknown, at: At): number {
    if (typeof v === 'number' && Number.isSafeInteger(v)) {
      const [lo, hi] = INT_RANGE[k];
      if (BigInt(v) < lo || BigInt(v) > hi || (Object.is(v, -0) && k.startsWith('u'))) throw this.mismatch(v, k, at, sourceOf(v));
      return v + 0;
    }
    const src = sourceOf(v);
    if (src === undefined) throw this.mismatch(v, k, at);
    const [lo, hi] = INT_RANGE[k];
    if (!/^-?\d+$/.test(src) || BigInt(src) < lo || BigInt(src) > hi) throw this.mismatch(v, k, at, src);
    return Number(src);
  }

  private zero(s: Schema): unknown {
    if (typeof s !== 'string') return 'array' in s ? [] : {};
    if (s === 'string') return '';
    if (s === 'bool') return false;
    if (s === 'any' || s === 'strslice') return null;
    if (s === 'object') return {};
    return 0;
  }

  private mismatch(v: unknown, s: Schema, at: At, literal?: string): HttpError {
    const value = literal === undefined ? jsonKind(v) : `number ${literal.length > 40 ? `${literal.slice(0, 40)}...` : literal}`;
    const into = at.fields.length ? `Go struct field ${at.struct}.${at.fields.join('.')}` : 'Go value';
    return new HttpError(400, `json: cannot unmarshal ${value} into ${into} of type ${this.goType(s)}`);
  }

  private goType(s: Schema): string {
    if (typeof s !== 'string') {
      if ('ref' in s) return this.schemas.structs[s.ref]?.go ?? s.ref;
      return 'array' in s ? `[]${this.goType(s.array)}` : `map[string]${this.goType(s.map)}`;
    }
    if (s === 'any') return 'interface {}';
    if (s === 'object') return 'map[string]interface {}';
    if (s === 'strslice') return 'strslice.StrSlice';
    if (s === 'rlimit') return 'uint64';
    return s;
  }
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof JsonNumber);
}

/** A number's JSON text (undefined for anything else). */
function sourceOf(v: unknown): string | undefined {
  if (v instanceof JsonNumber) return v.source;
  if (typeof v === 'number') return Object.is(v, -0) ? '-0' : String(v);
  return undefined;
}

function jsonKind(v: unknown): string {
  if (typeof v === 'boolean') return 'bool';
  if (typeof v === 'number' || v instanceof JsonNumber) return 'number';
  if (Array.isArray(v)) return 'array';
  return typeof v === 'string' ? 'string' : 'object';
}

/** A loosely typed value as plain JSON data (numbers unwrapped). */
function plain(v: unknown): unknown {
  if (v instanceof JsonNumber) return v.value;
  if (Array.isArray(v)) return v.map(plain);
  if (!isObject(v)) return v;
  const out: Record<string, unknown> = {};
  for (const [k, e] of Object.entries(v)) setOwn(out, k, plain(e));
  return out;
}

/** Sets a key as an own property even when it is `__proto__`. */
function setOwn(o: Record<string, unknown>, k: string, v: unknown): void {
  if (k === '__proto__') Object.defineProperty(o, k, { value: v, enumerable: true, writable: true, configurable: true });
  else o[k] = v;
}

/** Go's case folding of field names: each rune upper(lower(r)), so `ſ` is `S` and `K` (Kelvin) is `K`. */
function fold(name: string): string {
  if (/^[\x00-\x7f]*$/.test(name)) return name.toUpperCase();
  let out = '';
  for (const ch of name) {
    const lower = ch.toLowerCase();
    if ([...lower].length !== 1) {
      out += ch;
      continue;
    }
    const upper = lower.toUpperCase();
    out += [...upper].length === 1 ? upper : lower;
  }
  return out;
}
