// The one parser for the times clients send: `since`/`until` of logs and events, and the `until`
// filters of lists and prunes. The forms are docker's (moby's GetTimestamp and ParseTimestamps):
//   - a Go duration, meaning that long before now: "10m", "1h30m", "1.5h", "-5s" (5 s ahead);
//   - unix seconds with an optional fraction: "1700000000", "1700000000.123456789";
//   - RFC 3339 and its shorter forms: "2023-11-14T22:13:20.5Z", "2023-11-14T22:13+01:00",
//     "2023-11-14T22", "2023-11-14", "2023-11-14Z"; without a zone, local time.
// Times are nanoseconds since the epoch as bigint: RFC 3339 Nano and unix fractions carry more
// digits than a double holds, and a log line's `since` must compare exactly.
import { badParameter } from '../engine/errors.js';

const NS_PER_MS = 1_000_000n;
const NS_PER_S = 1_000_000_000n;
const MAX_DURATION = (1n << 63n) - 1n;

const UNIT_NS: Record<string, bigint> = {
  ns: 1n,
  us: 1_000n,
  'µs': 1_000n, // U+00B5 micro sign
  'μs': 1_000n, // U+03BC Greek mu
  ms: NS_PER_MS,
  s: NS_PER_S,
  m: 60n * NS_PER_S,
  h: 3600n * NS_PER_S,
};

// µ (micro sign) and μ (Greek mu) as escapes: the bundle stays ASCII (scripts/bundle.mjs says why).
const DURATION = /^[-+]?(?:(?:\d+\.?\d*|\.\d+)(?:ns|us|\u00b5s|\u03bcs|ms|s|m|h))+$/;
const DURATION_PART = /(\d*)(?:\.(\d*))?(ns|us|\u00b5s|\u03bcs|ms|s|m|h)/g;
const UNIX = /^([-+]?\d+)(?:\.(\d+))?$/;
const RFC3339 = /^(\d{4})-(\d\d)-(\d\d)(?:T(\d\d)(?::(\d\d)(?::(\d\d)(?:\.(\d+))?)?)?)?(Z|z|[+-]\d\d:\d\d)?$/;

/**
 * `value` as nanoseconds since the epoch; `what` names it in the bad-parameter error (`value for
 * "since"`, `filter 'until'`). `nowMs` is what durations count back from.
 */
export function parseTimeNs(value: string, what: string, nowMs = Date.now()): bigint {
  // "0" is unix time 0, not a zero duration (as in docker).
  if (value !== '0' && DURATION.test(value)) {
    const d = durationNs(value);
    if (d === undefined) throw badParameter(`invalid ${what}: "${value}" is a duration out of range`);
    return BigInt(nowMs) * NS_PER_MS - d;
  }
  const unix = UNIX.exec(value);
  if (unix) return BigInt(unix[1]) * NS_PER_S + fractionNs(unix[2]);
  const t = rfc3339Ns(value);
  if (t === undefined) throw badParameter(`invalid ${what}: "${value}" is not a timestamp or duration`);
  return t;
}

/** The `until` filter of container and image lists and prunes, in whole milliseconds. */
export function untilMs(value: string, nowMs = Date.now()): number {
  return Number(parseTimeNs(value, "filter 'until'", nowMs) / NS_PER_MS);
}

/**
 * An RFC 3339 time (or one of docker's shorter forms) as nanoseconds; undefined when `value` is
 * not one or names no real time (month 13, 25:00). Without a zone it is local time.
 */
export function rfc3339Ns(value: string): bigint | undefined {
  const m = RFC3339.exec(value);
  if (!m) return undefined;
  const y = +m[1], mo = +m[2], d = +m[3], h = +(m[4] ?? 0), mi = +(m[5] ?? 0), sec = +(m[6] ?? 0);
  if (mo < 1 || mo > 12 || d < 1 || d > daysIn(y, mo) || h > 23 || mi > 59 || sec > 59) return undefined;
  const zone = m[8];
  let ms: number;
  if (zone === undefined) {
    const local = new Date(y, mo - 1, d, h, mi, sec);
    if (y < 100) local.setFullYear(y);
    ms = local.getTime();
  } else {
    // Date.UTC reads years below 100 as 19xx.
    ms = y < 100 ? new Date(Date.UTC(2000, mo - 1, d, h, mi, sec)).setUTCFullYear(y) : Date.UTC(y, mo - 1, d, h, mi, sec);
    if (zone !== 'Z' && zone !== 'z') {
      const oh = +zone.slice(1, 3);
      const om = +zone.slice(4, 6);
      if (oh > 23 || om > 59) return undefined;
      ms -= (zone[0] === '-' ? -1 : 1) * (oh * 60 + om) * 60_000;
    }
  }
  return BigInt(ms) * NS_PER_MS + fractionNs(m[7]);
}

/** Digits after the point as nanoseconds; past nine digits they are dropped, as docker does. */
function fractionNs(digits: string | undefined): bigint {
  return digits ? BigInt(digits.slice(0, 9).padEnd(9, '0')) : 0n;
}

/**
 * A Go duration ("30s", "1m30s", "500ms", "1.5h") as nanoseconds, for durations a client names in
 * text (a HEALTHCHECK's --interval); undefined when `value` is not one or is out of Go's range.
 * A bare "0" is zero, as Go's time.ParseDuration has it.
 */
export function parseDurationNs(value: string): bigint | undefined {
  if (value === '0') return 0n;
  return DURATION.test(value) ? durationNs(value) : undefined;
}

/** A Go duration (already matched by DURATION) in nanoseconds; undefined past Go's range. */
function durationNs(value: string): bigint | undefined {
  let total = 0n;
  for (const [, int, frac = '', unit] of value.matchAll(DURATION_PART)) {
    const u = UNIT_NS[unit];
    total += BigInt(int || '0') * u + (frac ? (BigInt(frac) * u) / 10n ** BigInt(frac.length) : 0n);
    if (total > MAX_DURATION) return undefined;
  }
  return value.startsWith('-') ? -total : total;
}

const DAYS = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

function daysIn(year: number, month: number): number {
  const leap = (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
  return month === 2 && leap ? 29 : DAYS[month - 1];
}

/** A Go duration ("30s", "1m30s", "100ms") in nanoseconds; undefined when it is not one. */
export function goDurationNs(value: string): bigint | undefined {
  return DURATION.test(value) ? durationNs(value) : undefined;
}
