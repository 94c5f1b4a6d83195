import { HttpError } from './errors.js';

/** How deep a request body may nest (objects and arrays); deeper is refused before parsing. */
export const MAX_JSON_DEPTH = 64;

/**
 * A number whose JSON text says more than a JS number keeps: a fraction or exponent (`1.0` is
 * not an integer to Go) or more digits than a double holds exactly. Only `parseJson(.., true)`
 * makes these; everything else stays a plain number.
 */
export class JsonNumber {
  constructor(
    readonly value: number,
    readonly source: string,
  ) {}
}

/**
 * Parses a request body. The nesting is measured first, without recursion, so no input can
 * exhaust the stack (JSON.parse with a reviver recurses); `withSources` keeps the text of the
 * numbers that need it (see JsonNumber).
 */
export function parseJson(text: string, withSources = false): unknown {
  const exotic = scan(text);
  try {
    if (!withSources || !exotic) return JSON.parse(text);
    return JSON.parse(text, (_k, v: unknown, c?: { source?: string }) =>
      typeof v === 'number' && c?.source !== undefined && !SIMPLE_INT.test(c.source) ? new JsonNumber(v, c.source) : v,
    );
  } catch (e) {
    throw new HttpError(400, `malformed JSON in request body: ${(e as Error).message}`);
  }
}

const SIMPLE_INT = /^-?\d{1,15}$/;

/** Checks the nesting depth; answers whether any number is not a short plain integer. */
function scan(text: string): boolean {
  let depth = 0;
  let exotic = false;
  const n = text.length;
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22) {
      i = stringEnd(text, i);
    } else if (c === 0x7b || c === 0x5b) {
      if (++depth > MAX_JSON_DEPTH) throw new HttpError(400, `request body nests deeper than ${MAX_JSON_DEPTH} levels`);
    } else if (c === 0x7d || c === 0x5d) {
      depth--;
    } else if (c === 0x2d || (c >= 0x30 && c <= 0x39)) {
      let j = i + 1;
      let digits = c === 0x2d ? 0 : 1;
      for (; j < n; j++) {
        const d = text.charCodeAt(j);
        if (d >= 0x30 && d <= 0x39) digits++;
        else if (d === 0x2e || d === 0x65 || d === 0x45 || d === 0x2b || d === 0x2d) exotic = true;
        else break;
      }
      if (digits > 15) exotic = true;
      i = j - 1;
    }
  }
  return exotic;
}

/** Index of the quote that closes the string opening at `start` (or the end of the text). */
function stringEnd(text: string, start: number): number {
  let i = start;
  for (;;) {
    i = text.indexOf('"', i + 1);
    if (i < 0) return text.length;
    let slashes = 0;
    for (let k = i - 1; text.charCodeAt(k) === 0x5c; k--) slashes++;
    if (slashes % 2 === 0) return i;
  }
}
