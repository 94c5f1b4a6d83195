import { test } from 'node:test';
import assert from 'node:assert/strict';
import { effectiveHealthcheck, mergeHealthcheck, nextDelayMs, probeCommand } from '../../../src/engine/health/config.js';
import { applyProbe, clipOutput, initialHealth, LOG_ENTRIES, OUTPUT_MAX } from '../../../src/engine/health/transitions.js';
import { goDuration } from '../../../src/engine/health/probe.js';
import { seconds } from '../../../src/engine/health/timer.js';
import { healthcheckFlags } from '../../../src/engine/images/changes.js';
import { parseDurationNs } from '../../../src/lib/time.js';
import type { HealthLogEntry } from '../../../src/engine/health/types.js';

const S = 1_000_000_000;
const entry = (code: number, out = ''): HealthLogEntry => ({ Start: '2026-01-01T00:00:00.000000000Z', End: '2026-01-01T00:00:00.100000000Z', ExitCode: code, Output: out });

test('probe commands: CMD runs its arguments, CMD-SHELL under /bin/sh -c, NONE and empty ones none', () => {
  assert.deepEqual(probeCommand(['CMD', 'test', '-f', '/x']), ['test', '-f', '/x']);
  assert.deepEqual(probeCommand(['CMD-SHELL', 'test -f /x']), ['/bin/sh', '-c', 'test -f /x']);
  assert.equal(probeCommand(['NONE']), undefined);
  assert.equal(probeCommand([]), undefined);
  assert.equal(probeCommand(['CMD']), undefined);
  assert.equal(effectiveHealthcheck({ Test: ['NONE'] }), undefined);
  assert.equal(effectiveHealthcheck(undefined), undefined);
});

test("dockerd's defaults: interval and timeout 30 s, 3 retries, the start interval only with a start period", () => {
  const d = effectiveHealthcheck({ Test: ['CMD', 'true'] })!;
  assert.deepEqual({ i: d.intervalMs, t: d.timeoutMs, r: d.retries, p: d.startPeriodMs, si: d.startIntervalMs }, { i: 30_000, t: 30_000, r: 3, p: 0, si: undefined });
  const c = effectiveHealthcheck({ Test: ['CMD', 'true'], Interval: 2 * S, Timeout: S / 2, Retries: 1, StartPeriod: 10 * S, StartInterval: S })!;
  assert.deepEqual({ i: c.intervalMs, t: c.timeoutMs, r: c.retries, p: c.startPeriodMs, si: c.startIntervalMs }, { i: 2000, t: 500, r: 1, p: 10_000, si: 1000 });
  assert.equal(effectiveHealthcheck({ Test: ['CMD', 'true'], StartInterval: S })!.startIntervalMs, undefined);
  // Within the start period and still starting: the start interval; otherwise the interval.
  assert.equal(nextDelayMs(c, 0, 5000, 'starting'), 1000);
  assert.equal(nextDelayMs(c, 0, 5000, 'healthy'), 2000);
  assert.equal(nextDelayMs(c, 0, 11_000, 'starting'), 2000);
});

test("the container's healthcheck over the image's, field by field", () => {
  const image = { Test: ['CMD', 'img'], Interval: 5 * S, Retries: 7 };
  assert.deepEqual(mergeHealthcheck(undefined, image), image);
  assert.deepEqual(mergeHealthcheck({ Interval: S }, image), { Test: ['CMD', 'img'], Interval: S, Retries: 7 });
  assert.deepEqual(mergeHealthcheck({ Test: ['NONE'] }, image), { Test: ['NONE'], Interval: 5 * S, Retries: 7 });
  assert.deepEqual(mergeHealthcheck({ Test: ['CMD', 'mine'] }, undefined), { Test: ['CMD', 'mine'] });
});

test('transitions: starting → healthy on a pass; failures count to retries, then unhealthy; a pass clears the streak', () => {
  let s = initialHealth();
  assert.deepEqual(s, { Status: 'starting', FailingStreak: 0, Log: [] });
  let r = applyProbe(s, entry(0), { retries: 2, inStartPeriod: false });
  assert.equal(r.state.Status, 'healthy');
  assert.equal(r.changed, true);
  s = r.state;
  r = applyProbe(s, entry(1), { retries: 2, inStartPeriod: false });
  assert.deepEqual([r.state.Status, r.state.FailingStreak, r.changed], ['healthy', 1, false]);
  r = applyProbe(r.state, entry(1), { retries: 2, inStartPeriod: false });
  assert.deepEqual([r.state.Status, r.state.FailingStreak, r.changed], ['unhealthy', 2, true]);
  r = applyProbe(r.state, entry(1), { retries: 2, inStartPeriod: false });
  assert.deepEqual([r.state.Status, r.state.FailingStreak, r.changed], ['unhealthy', 3, false]);
  r = applyProbe(r.state, entry(0), { retries: 2, inStartPeriod: false });
  assert.deepEqual([r.state.Status, r.state.FailingStreak, r.changed], ['healthy', 0, true]);
});

test('failures within the start period do not count while starting; once healthy they do', () => {
  let r = applyProbe(initialHealth(), entry(1), { retries: 1, inStartPeriod: true });
  assert.deepEqual([r.state.Status, r.state.FailingStreak], ['starting', 0]);
  r = applyProbe(r.state, entry(0), { retries: 1, inStartPeriod: true });
  r = applyProbe(r.state, entry(1), { retries: 1, inStartPeriod: true });
  assert.deepEqual([r.state.Status, r.state.FailingStreak], ['unhealthy', 1]);
  // A timed-out probe (-1) is a failure too.
  assert.equal(applyProbe(initialHealth(), entry(-1), { retries: 1, inStartPeriod: false }).state.Status, 'unhealthy');
});

test('the log keeps the last five probes; a new run starts over but keeps the log', () => {
  let s = initialHealth();
  for (let i = 0; i < 8; i++) s = applyProbe(s, entry(0, String(i)), { retries: 3, inStartPeriod: false }).state;
  assert.equal(s.Log.length, LOG_ENTRIES);
  assert.deepEqual(s.Log.map((e) => e.Output), ['3', '4', '5', '6', '7']);
  const again = initialHealth({ ...s, Status: 'unhealthy', FailingStreak: 4 });
  assert.deepEqual([again.Status, again.FailingStreak, again.Log.length], ['starting', 0, 5]);
});

test('output is clipped to the limit without splitting a character', () => {
  assert.equal(clipOutput('x'.repeat(OUTPUT_MAX + 10)).length, OUTPUT_MAX);
  const s = clipOutput('a' + 'é'.repeat(10), 4);
  assert.equal(s, 'aé');
  assert.equal(clipOutput(Buffer.from('ok\n')), 'ok\n');
});

test("timeouts are worded with Go's durations; delays as sleep(1) takes them", () => {
  assert.equal(goDuration(30_000), '30s');
  assert.equal(goDuration(500), '500ms');
  assert.equal(goDuration(90_000), '1m30s');
  assert.equal(goDuration(1500), '1.5s');
  assert.equal(goDuration(3_600_000), '1h0m0s');
  assert.equal(seconds(1000), '1.000');
  assert.equal(seconds(0), '0.001');
});

test("HEALTHCHECK options of --change: Go durations through the one time parser, retries", () => {
  assert.equal(parseDurationNs('1m30s'), 90n * 1_000_000_000n);
  assert.equal(parseDurationNs('0'), 0n);
  assert.equal(parseDurationNs('5'), undefined);
  assert.deepEqual(healthcheckFlags('--interval=5s --timeout=500ms --start-period=1m --start-interval=2s --retries=4 '), {
    Interval: 5 * S, Timeout: S / 2, StartPeriod: 60 * S, StartInterval: 2 * S, Retries: 4,
  });
  assert.throws(() => healthcheckFlags('--interval=5'), /--interval must be a duration/);
  assert.throws(() => healthcheckFlags('--bogus=1s'), /unknown option --bogus/);
  assert.throws(() => healthcheckFlags('--retries=x'), /--retries must be a whole number/);
});

test("libpod's health_check_on_failure_action numbers and the log settings podman sends", async () => {
  const { specgenToCreate } = await import('../../../src/api/containers/specgen.js');
  const base = { image: 'busybox', healthconfig: { Test: ['CMD', 'true'], Interval: S } };
  assert.equal(specgenToCreate({ ...base }).healthOnFailure, 'none');
  assert.equal(specgenToCreate({ ...base, health_check_on_failure_action: 2 }).healthOnFailure, 'kill');
  assert.equal(specgenToCreate({ ...base, health_check_on_failure_action: 3 }).healthOnFailure, 'restart');
  assert.equal(specgenToCreate({ ...base, health_check_on_failure_action: 4 }).healthOnFailure, 'stop');
  assert.throws(() => specgenToCreate({ ...base, health_check_on_failure_action: 1 }), /health_check_on_failure_action/);
  // podman 5's defaults pass; other log settings are refused by name.
  assert.doesNotThrow(() => specgenToCreate({ ...base, healthLogDestination: 'local', healthMaxLogCount: 5, healthMaxLogSize: 500 }));
  assert.throws(() => specgenToCreate({ ...base, healthMaxLogCount: 10 }), /healthMaxLogCount/);
  assert.throws(() => specgenToCreate({ ...base, startupHealthConfig: { Test: ['CMD', 'true'] } }), /startupHealthConfig/);
});

test('the create refuses an unknown on-failure action and keeps a known one in the spec', async () => {
  const { buildSpec } = await import('../../../src/engine/containers/create.js');
  const image = { id: 'a'.repeat(64), config: { Cmd: ['sh'], Healthcheck: { Test: ['CMD', 'img'], Interval: 5 * S } } };
  const { spec } = buildSpec({ config: { Image: 'busybox', Healthcheck: { Retries: 2 } }, hostConfig: { NetworkMode: 'none' }, flavor: 'podman', healthOnFailure: 'stop' }, image, 'f'.repeat(64));
  assert.equal(spec.healthOnFailure, 'stop');
  assert.deepEqual(spec.Config.Healthcheck, { Test: ['CMD', 'img'], Interval: 5 * S, Retries: 2 });
  assert.throws(() => buildSpec({ config: { Image: 'busybox' }, flavor: 'podman', healthOnFailure: 'explode' as never }, image, 'f'.repeat(64)), /invalid on-failure action/);
});
