// Nothing hangs: values that would make runc fail verbosely (an error over 64 KiB deadlocks
// runc and conmon) are refused at create or fail the start in bounded time; a forced removal
// never waits behind a stop or a start.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, existsSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startBerth, run, FIXTURES, type Berth } from '../../helpers/berth.js';

let b: Berth;
const NET = ['--network', 'none'];
const ok = (args: string[]) => b.dockerOk(args);

before(async () => {
  b = await startBerth();
  await ok(['load', '-i', join(FIXTURES, 'busybox-legacy.tar')]);
});
after(async () => {
  await b.docker(['rm', '-f', ...(await b.docker(['ps', '-aq'])).stdout.split('\n').filter(Boolean)]);
  await b.cleanup();
});

/** A request that must be answered within `ms`. */
async function bounded(ms: number, method: string, path: string, body?: unknown) {
  const t0 = Date.now();
  const r = await Promise.race([
    b.request(method, path, body),
    new Promise<never>((_r, rej) => setTimeout(() => rej(new Error(`${method} ${path.slice(0, 80)} not answered within ${ms} ms`)), ms)),
  ]);
  return { ...r, ms: Date.now() - t0 };
}

const cgroupsOf = (id: string) =>
  readdirSync('/sys/fs/cgroup').flatMap((h) => {
    for (const p of [join('/sys/fs/cgroup', h, 'berth', `berth-${id}`), join('/sys/fs/cgroup', h, `berth-${id}`)]) if (existsSync(p)) return [p];
    return [];
  });

test('very long CpusetCpus, Tmpfs, CgroupParent (compat and libpod): refused, or a bounded failure; never a hang', async () => {
  const long = 'a'.repeat(100_000);
  const bodies: [string, unknown][] = [
    ['/v1.41/containers/create', { Image: 'busybox', Cmd: ['true'], HostConfig: { NetworkMode: 'none', CpusetCpus: long } }],
    ['/v1.41/containers/create', { Image: 'busybox', Cmd: ['true'], HostConfig: { NetworkMode: 'none', CpusetCpus: `0-1,${'0,'.repeat(40_000)}0` } }],
    ['/v1.41/containers/create', { Image: 'busybox', Cmd: ['true'], HostConfig: { NetworkMode: 'none', Tmpfs: { [`/t/${long}`]: '' } } }],
    ['/v1.41/containers/create', { Image: 'busybox', Cmd: ['true'], HostConfig: { NetworkMode: 'none', Tmpfs: { '/t': `size=1m,${long}` } } }],
    ['/v1.41/containers/create', { Image: 'busybox', Cmd: ['true'], HostConfig: { NetworkMode: 'none', Tmpfs: { '/t': `size=${long}` } } }],
    ['/v1.41/containers/create', { Image: 'busybox', Cmd: ['true'], HostConfig: { NetworkMode: 'none', CgroupParent: `/${long}` } }],
    ['/v1.41/containers/create', { Image: 'busybox', Cmd: ['true'], HostConfig: { NetworkMode: 'none', CgroupParent: `/${'abc/'.repeat(20_000)}x` } }],
    ['/v5.4.2/libpod/containers/create', { image: 'busybox', command: ['true'], netns: { nsmode: 'none' }, cgroup_parent: `/${long}` }],
    ['/v5.4.2/libpod/containers/create', { image: 'busybox', command: ['true'], netns: { nsmode: 'none' }, resource_limits: { cpu: { cpus: long } } }],
  ];
  for (const [path, body] of bodies) {
    const c = await bounded(10_000, 'POST', path, body);
    const what = `${path} ${JSON.stringify(body).slice(0, 120)}`;
    if (c.status === 201) {
      // Accepted: the start must fail (or work) with a reason, within the runtime bound.
      const id = c.json.Id ?? c.json.id;
      const s = await bounded(75_000, 'POST', `/v1.41/containers/${id}/start`);
      assert.ok(s.status < 300 || (s.status >= 400 && s.json?.message), `${what}: start ${s.status} ${s.text.slice(0, 200)}`);
      assert.ok(s.text.length < 8192, `${what}: the start error is ${s.text.length} bytes`);
      const i = await bounded(5000, 'GET', `/v1.41/containers/${id}/json`);
      assert.notEqual(i.json.State.Pid, b.proc.pid, 'inspect shows the daemon as the container');
      assert.equal((await bounded(10_000, 'DELETE', `/v1.41/containers/${id}?force=1`)).status, 204);
      assert.deepEqual(cgroupsOf(id), [], `${what}: cgroup left behind`);
    } else {
      assert.ok(c.status >= 400 && c.status < 500, `${what}: ${c.status} ${c.text.slice(0, 200)}`);
      assert.ok(c.json?.message, c.text.slice(0, 200));
      assert.ok(c.text.length < 1024, `${what}: the error is ${c.text.length} bytes`);
    }
  }
  // The service still answers, and no conmon or runtime is left running for any of them.
  assert.equal((await bounded(2000, 'GET', '/_ping')).status, 200);
  assert.equal((await run('pgrep', ['-f', `runc --root ${b.runRoot}`])).stdout.trim(), '');
});

test('rm -f kills at once while a stop -t 600 is waiting', async () => {
  // The process ignores SIGTERM, so the stop would wait its whole timeout.
  const id = (await ok(['run', '-d', ...NET, 'busybox', 'sh', '-c', "trap '' TERM; while true; do sleep 0.1; done"])).trim();
  const stop = b.docker(['stop', '-t', '600', id], { timeoutMs: 700_000 });
  await new Promise((r) => setTimeout(r, 500));
  const t0 = Date.now();
  const rm = await b.docker(['rm', '-f', id], { timeoutMs: 30_000 });
  const took = Date.now() - t0;
  assert.equal(rm.code, 0, rm.stderr);
  assert.ok(took < 5000, `rm -f took ${took} ms`);
  const s = await stop;
  // The stop ends with the container (removed under it): either outcome, but at once.
  assert.ok(Date.now() - t0 < 10_000, `stop took ${Date.now() - t0} ms after the rm`);
  assert.ok(s.code === 0 || /No such container/i.test(s.stderr), s.stderr);
  assert.equal((await b.docker(['inspect', id])).code, 1);
});

test('while a start hangs in the runtime: inspect shows no daemon pid, prune and rm -f answer at once', async () => {
  // A runtime that fails the way runc does on a very long value: 100 KB of error on stderr,
  // which conmon reads only after the runtime exited, so both wait for ever.
  const wrapper = join(b.dir, 'runc');
  writeFileSync(wrapper, `#!/bin/sh
prev=; bundle=
for a in "$@"; do [ "$prev" = --bundle ] && bundle=$a; prev=$a; done
if [ -n "$bundle" ] && grep -q '"hostname":"hang-me"' "$bundle/config.json"; then head -c 100000 /dev/zero | tr '\\0' a >&2; exit 1; fi
exec /usr/sbin/runc "$@"
`);
  chmodSync(wrapper, 0o755);
  const h = await startBerth({ env: { BERTH_RUNTIME: wrapper } });
  try {
    assert.equal((await h.docker(['load', '-i', join(FIXTURES, 'busybox-legacy.tar')])).code, 0);
    const hr = (method: string, path: string, body?: unknown) => h.request(method, path, body);
    const c = await hr('POST', '/v1.41/containers/create?name=hanging', { Image: 'busybox', Cmd: ['true'], Hostname: 'hang-me', HostConfig: { NetworkMode: 'none' } });
    assert.equal(c.status, 201, c.text);
    const id = c.json.Id;
    const start = hr('POST', `/v1.41/containers/${id}/start`);
    await new Promise((r) => setTimeout(r, 1500));
    const i = await hr('GET', `/v1.41/containers/${id}/json`);
    assert.notEqual(i.json.State.Pid, h.proc.pid);
    assert.equal(i.json.State.Pid, 0);
    const t0 = Date.now();
    const p = await hr('POST', '/v1.41/containers/prune');
    assert.equal(p.status, 200);
    assert.ok(!(p.json.ContainersDeleted ?? []).includes(id), 'prune took a container that is starting');
    const rm = await hr('DELETE', `/v1.41/containers/${id}?force=1`);
    assert.equal(rm.status, 204, rm.text);
    assert.ok(Date.now() - t0 < 5000, `prune and rm -f took ${Date.now() - t0} ms`);
    const s = await start;
    assert.ok(s.status >= 400 && s.json.message, `${s.status} ${s.text}`);
    assert.ok(Date.now() - t0 < 5000, `the start ended ${Date.now() - t0} ms after the rm`);
    // The runtime and its conmon were killed with the start; nothing of the container is left.
    assert.equal((await run('pgrep', ['-f', `conmon .*-c ${id}`])).stdout.trim(), '');
    assert.equal((await run('pgrep', ['-f', `${wrapper} .*${id}`])).stdout.trim(), '');
    assert.equal((await hr('GET', `/v1.41/containers/${id}/json`)).status, 404);
    assert.deepEqual(cgroupsOf(id), []);
  } finally {
    await h.cleanup();
  }
});
