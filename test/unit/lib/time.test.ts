import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseTimeNs, rfc3339Ns, untilMs } from '../../../src/lib/time.js';
import { EngineError } from '../../../src/engine/errors.js';

const NOW = 1_700_000_000_000;
const ns = (v: string) => parseTimeNs(v, 'value for "since"', NOW);
const S = 1_000_000_000n;
const T = 1_700_000_000n * S;

test('unix seconds, with a fraction of up to nanoseconds (more digits are dropped)', () => {
  assert.equal(ns('1700000000'), T);
  assert.equal(ns('1700000000.5'), T + 500_000_000n);
  assert.equal(ns('1700000000.123456789'), T + 123_456_789n);
  assert.equal(ns('1700000000.1234567891'), T + 123_456_789n);
  assert.equal(ns('0'), 0n, '"0" is the epoch, not a zero duration');
  assert.equal(ns('-5'), -5n * S);
});

test('RFC 3339 and RFC 3339 Nano, with Z or an offset', () => {
  assert.equal(ns('2023-11-14T22:13:20Z'), T);
  assert.equal(ns('2023-11-14T22:13:20.123456789Z'), T + 123_456_789n);
  assert.equal(ns('2023-11-14T22:13:20.5+01:00'), T - 3600n * S + 500_000_000n);
  assert.equal(ns('2023-11-14T17:13:20-05:00'), T);
  assert.equal(ns('2023-11-14T22:13Z'), T - 20n * S);
  assert.equal(ns('2023-11-14T22Z'), T - (13n * 60n + 20n) * S);
  assert.equal(rfc3339Ns('2023-11-14T22:13:20.000000001Z'), T + 1n);
});

test('date-only forms, and forms without a zone in local time', () => {
  assert.equal(ns('2023-11-14Z'), BigInt(Date.UTC(2023, 10, 14)) * 1_000_000n);
  assert.equal(ns('2023-11-14+02:00'), BigInt(Date.UTC(2023, 10, 13, 22)) * 1_000_000n);
  assert.equal(ns('2023-11-14'), BigInt(new Date(2023, 10, 14).getTime()) * 1_000_000n);
  assert.equal(ns('2023-11-14T22:13:20'), BigInt(new Date(2023, 10, 14, 22, 13, 20).getTime()) * 1_000_000n);
  assert.equal(ns('2023-11-14T22:13:20.25'), BigInt(new Date(2023, 10, 14, 22, 13, 20).getTime()) * 1_000_000n + 250_000_000n);
  assert.equal(ns('2023-11-14T22:13'), BigInt(new Date(2023, 10, 14, 22, 13).getTime()) * 1_000_000n);
  assert.equal(ns('2024-02-29Z'), BigInt(Date.UTC(2024, 1, 29)) * 1_000_000n);
  assert.equal(ns('0050-01-01Z'), -60_589_296_000n * S, 'years below 100 are not 19xx');
});

test('Go durations count back from now', () => {
  const now = BigInt(NOW) * 1_000_000n;
  assert.equal(ns('10m'), now - 600n * S);
  assert.equal(ns('1h30m'), now - 5400n * S);
  assert.equal(ns('1.5h'), now - 5400n * S);
  assert.equal(ns('.5s'), now - 500_000_000n);
  assert.equal(ns('300ms'), now - 300_000_000n);
  assert.equal(ns('2us'), now - 2000n);
  assert.equal(ns('2µs'), now - 2000n);
  assert.equal(ns('7ns'), now - 7n);
  assert.equal(ns('1h2m3s4ms'), now - 3723n * S - 4_000_000n);
  assert.equal(ns('-5s'), now + 5n * S, 'a negative duration is ahead of now');
  assert.equal(ns('+5s'), now - 5n * S);
  assert.ok(Math.abs(untilMs('2h') - (Date.now() - 7_200_000)) < 1000, 'now by default');
});

test('milliseconds for creation-time comparisons', () => {
  assert.equal(untilMs('1700000000.5'), NOW + 500);
  assert.equal(untilMs('2023-11-14T22:13:20Z'), NOW);
  assert.equal(untilMs('1h', NOW), NOW - 3_600_000);
});

test('anything else is a bad parameter naming the value and what it was for', () => {
  const bad = ['', 'yesterday', '10x', '1h-5m', 'h', '.s', '1..5s', '2023-13-01', '2023-02-30', '2023-02-29', '2023-11-14T24:00Z', '2023-11-14T22:60Z',
    '2023-11-14T22:13:61Z', '2023-11-14T22:13:20+25:00', '2023-11-14 22:13:20', '2023-11-14T22:13:20.Z', '2023/11/14', 'Tue, 14 Nov 2023 22:13:20 GMT', '1700000000.', '0x10',
    '3000000000h'];
  for (const v of bad) {
    assert.throws(
      () => ns(v),
      (e: unknown) => e instanceof EngineError && e.kind === 'bad-parameter' && e.message.includes('"since"') && e.message.includes(`"${v}"`),
      v,
    );
  }
  assert.throws(() => untilMs('yesterday'), /invalid filter 'until': "yesterday" is not a timestamp or duration/);
  assert.equal(rfc3339Ns('yesterday'), undefined);
});
