// The libpod container endpoints: SpecGenerator create, lifecycle, wait, logs, errors.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { startBerth, waitFor, FIXTURES, type Berth } from '../../helpers/berth.js';

let b: Berth;
const P = '/v5.4.2/libpod';

before(async () => {
  b = await startBerth();
  const r = await b.docker(['load', '-i', join(FIXTURES, 'busybox-legacy.tar')]);
  assert.equal(r.code, 0, r.stderr);
});
after(async () => {
  await b.request('POST', `${P}/containers/prune`);
  for (const c of (await b.request('GET', `${P}/containers/json?all=true`)).json ?? []) await b.request('DELETE', `${P}/containers/${c.Id}?force=true`);
  await b.cleanup();
});

function demux(buf: Buffer): string[][] {
  const out: string[][] = [];
  for (let off = 0; off + 8 <= buf.length; ) {
    const len = buf.readUInt32BE(off + 4);
    out.push([String(buf[off]), buf.subarray(off + 8, off + 8 + len).toString()]);
    off += 8 + len;
  }
  return out;
}

test('create from a SpecGenerator, start, wait, logs, inspect', async () => {
  const c = await b.request('POST', `${P}/containers/create`, {
    name: 'lp1', image: 'busybox', command: ['sh', '-c', 'echo $FOO; id -u; exit 5'], env: { FOO: 'bar' }, user: 'nobody',
    netns: { nsmode: 'none' }, labels: { a: 'b' }, r_limits: [{ type: 'RLIMIT_NOFILE', soft: 512, hard: 512 }],
  });
  assert.equal(c.status, 201, c.text);
  assert.match(c.json.Id, /^[0-9a-f]{64}$/);
  assert.equal((await b.request('GET', `${P}/containers/lp1/exists`)).status, 204);
  assert.equal((await b.request('GET', `${P}/containers/nope/exists`)).status, 404);
  assert.equal((await b.request('POST', `${P}/containers/lp1/start`)).status, 204);
  const w = await b.request('POST', `${P}/containers/lp1/wait?condition=exited`);
  assert.equal(w.status, 200);
  assert.equal(w.json, 5);
  const l = await new Promise<Buffer>((resolve, reject) => {
    import('node:http').then(({ default: http }) => {
      http.get({ socketPath: b.socket, path: `${P}/containers/lp1/logs?stdout=true&stderr=true` }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (d) => chunks.push(d));
        res.on('end', () => resolve(Buffer.concat(chunks)));
      }).on('error', reject);
    });
  });
  assert.deepEqual(demux(l), [['1', 'bar\n'], ['1', '65534\n']]);
  const i = await b.request('GET', `${P}/containers/lp1/json`);
  assert.equal(i.json.Name, 'lp1');
  assert.equal(i.json.State.Status, 'exited');
  assert.equal(i.json.State.ExitCode, 5);
  assert.equal(i.json.Config.Labels.a, 'b');
  assert.equal(i.json.OCIRuntime, 'runc');
  // podman's default capability set: no NET_RAW, unlike docker's.
  assert.ok(!i.json.EffectiveCaps.includes('CAP_NET_RAW'));
  const ls = await b.request('GET', `${P}/containers/json?all=true&filters=${encodeURIComponent('{"name":["lp1"]}')}`);
  assert.equal(ls.json.length, 1);
  assert.equal(ls.json[0].State, 'exited');
  assert.equal(ls.json[0].Exited, true);
  assert.deepEqual(ls.json[0].Names, ['lp1']);
});

test('stop, kill, pause, restart, rename, delete answer as podman does', async () => {
  const c = await b.request('POST', `${P}/containers/create`, { name: 'lp2', image: 'busybox', command: ['sleep', '1000'], netns: { nsmode: 'none' } });
  assert.equal(c.status, 201);
  assert.equal((await b.request('POST', `${P}/containers/lp2/start`)).status, 204);
  assert.equal((await b.request('POST', `${P}/containers/lp2/start`)).status, 304);
  assert.equal((await b.request('POST', `${P}/containers/lp2/pause`)).status, 204);
  assert.equal((await b.request('GET', `${P}/containers/lp2/json`)).json.State.Status, 'paused');
  assert.equal((await b.request('POST', `${P}/containers/lp2/unpause`)).status, 204);
  assert.equal((await b.request('POST', `${P}/containers/lp2/rename?name=lp3`)).status, 204);
  assert.equal((await b.request('POST', `${P}/containers/lp3/restart?t=0`)).status, 204);
  assert.equal((await b.request('GET', `${P}/containers/lp3/json`)).json.State.Running, true);
  assert.equal((await b.request('POST', `${P}/containers/lp3/kill?signal=BOGUS`)).status, 400);
  assert.equal((await b.request('POST', `${P}/containers/lp3/stop?timeout=0`)).status, 204);
  assert.equal((await b.request('POST', `${P}/containers/lp3/stop`)).status, 304);
  assert.equal((await b.request('POST', `${P}/containers/lp3/kill`)).status, 409);
  const d = await b.request('DELETE', `${P}/containers/lp3`);
  assert.equal(d.status, 200);
  assert.equal(d.json[0].Id, c.json.Id);
  const nf = await b.request('DELETE', `${P}/containers/lp3`);
  assert.equal(nf.status, 404);
  assert.equal(nf.json.response, 404);
  assert.equal((await b.request('DELETE', `${P}/containers/lp3?ignore=true`)).status, 200);
});

test('unsupported SpecGenerator fields are refused with the field named', async () => {
  // devices are honoured now (test/e2e/libpod/specgen.test.ts); an execution domain is not.
  const r = await b.request('POST', `${P}/containers/create`, { image: 'busybox', personality: { domain: 'LINUX32' } });
  assert.equal(r.status, 400);
  assert.match(r.json.message, /"personality"/);
  const p = await b.request('POST', `${P}/containers/create`, { image: 'busybox', netns: { nsmode: 'slirp4netns' } });
  assert.equal(p.status, 400);
  assert.match(p.json.message, /netns/);
  const m = await b.request('POST', `${P}/containers/create`, { image: 'busybox', resource_limits: { memory: { swappiness: 10 } } });
  assert.equal(m.status, 400);
  assert.match(m.json.message, /swappiness/);
  const n = await b.request('POST', `${P}/containers/create`, { image: 'nosuch' });
  assert.equal(n.status, 404);
  // Zero values of unsupported fields are fine (podman-remote sends many).
  const ok = await b.request('POST', `${P}/containers/create`, { image: 'busybox', devices: [], volumes: null, portmappings: [], pod: '' });
  assert.equal(ok.status, 201, ok.text);
});

test('prune removes stopped containers only', async () => {
  await b.request('POST', `${P}/containers/create`, { name: 'pr1', image: 'busybox', command: ['true'], netns: { nsmode: 'none' } });
  await b.request('POST', `${P}/containers/create`, { name: 'pr2', image: 'busybox', command: ['sleep', '100'], netns: { nsmode: 'none' } });
  await b.request('POST', `${P}/containers/pr2/start`);
  const r = await b.request('POST', `${P}/containers/prune`);
  assert.equal(r.status, 200);
  assert.ok(r.json.some((x: { Id: string }) => x.Id));
  assert.equal((await b.request('GET', `${P}/containers/pr1/exists`)).status, 404);
  assert.equal((await b.request('GET', `${P}/containers/pr2/exists`)).status, 204);
  assert.ok(await waitFor(async () => (await b.request('DELETE', `${P}/containers/pr2?force=true`)).status === 200));
});

test('the SpecGenerator podman-remote 4.3 sends for `run --rm -i` is accepted', async () => {
  // Captured from `podman --remote run --rm busybox echo hi` (plus -i): every field as sent.
  const sg = {
    command: ['cat'], httpproxy: true, annotations: { 'io.kubernetes.cri-o.TTY': 'false' }, stop_timeout: 10,
    log_configuration: {}, raw_image_name: 'busybox', systemd: 'true', sdnotifyMode: 'container', pidns: {}, utsns: {},
    remove: true, stdin: true, containerCreateCommand: ['podman', '--remote', 'run', '--rm', '-i', 'busybox', 'cat'],
    init_container_type: '', manage_password: true, image: 'busybox', image_volume_mode: 'anonymous', ipcns: {},
    volatile: true, seccomp_policy: 'default', userns: {},
    idmappings: { HostUIDMapping: true, HostGIDMapping: true, UIDMap: null, GIDMap: null, AutoUserNs: false, AutoUserNsOpts: { Size: 0, InitialSize: 0, PasswdFile: '', GroupFile: '', AdditionalUIDMappings: null, AdditionalGIDMappings: null } },
    umask: '0022', cgroupns: {}, cgroups_mode: 'enabled', netns: {}, Networks: null, use_image_hosts: false,
  };
  const c = await b.request('POST', `${P}/containers/create`, sg);
  assert.equal(c.status, 201, c.text);
  const i = await b.request('GET', `${P}/containers/${c.json.Id}/json`);
  assert.equal(i.json.Config.Annotations['io.kubernetes.cri-o.TTY'], 'false');
  assert.equal(i.json.HostConfig.AutoRemove, true);
  // Attach before start, send stdin and half-close it: podman closes the container's stdin then.
  const http = (await import('node:http')).default;
  const out = await new Promise<Buffer>((resolve, reject) => {
    const r = http.request({ socketPath: b.socket, method: 'POST', path: `${P}/containers/${c.json.Id}/attach?stream=true&stdin=true&stdout=true&stderr=true`, headers: { Connection: 'Upgrade', Upgrade: 'tcp' } });
    r.on('upgrade', async (_res, socket) => {
      const bufs: Buffer[] = [];
      socket.on('data', (d: Buffer) => bufs.push(d));
      socket.on('end', () => resolve(Buffer.concat(bufs)));
      socket.write('to cat\n');
      socket.end();
      await b.request('POST', `${P}/containers/${c.json.Id}/start`);
    });
    r.on('error', reject);
    r.end();
  });
  assert.deepEqual(demux(out), [['1', 'to cat\n']]);
  // Auto-removed, yet wait still answers its exit code, as podman-remote needs.
  assert.ok(await waitFor(async () => (await b.request('GET', `${P}/containers/${c.json.Id}/exists`)).status === 404));
  const w = await b.request('POST', `${P}/containers/${c.json.Id}/wait`);
  assert.equal(w.status, 200);
  assert.equal(w.json, 0);
  const sr = await b.request('POST', `${P}/containers/${c.json.Id}/shouldrestart`);
  assert.deepEqual(sr.json, { Value: false });
  const rm = await b.request('DELETE', `${P}/containers/${c.json.Id}`);
  assert.equal(rm.status, 404);
  assert.equal(rm.json.cause, 'no such container');
});

test('last lists the newest containers, stopped ones too', async () => {
  const ids: string[] = [];
  for (const name of ['last1', 'last2', 'last3']) {
    const c = await b.request('POST', `${P}/containers/create`, { name, image: 'busybox', command: ['true'], netns: { nsmode: 'none' } });
    assert.equal(c.status, 201, c.text);
    ids.push(c.json.Id);
  }
  const names = (r: { json: { Names: string[] }[] }) => r.json.map((c) => c.Names[0]);
  const byParam = await b.request('GET', `${P}/containers/json?last=2`);
  assert.equal(byParam.status, 200, byParam.text);
  assert.deepEqual(names(byParam), ['last3', 'last2']);
  // podman's alias: `last` wins over `limit`.
  assert.deepEqual(names(await b.request('GET', `${P}/containers/json?limit=3&last=1`)), ['last3']);
  const byFilter = await b.request('GET', `${P}/containers/json?filters=${encodeURIComponent('{"last":["2"],"name":["^last[12]$"]}')}`);
  assert.equal(byFilter.status, 200, byFilter.text);
  assert.deepEqual(names(byFilter), ['last2', 'last1']);
  assert.equal((await b.request('GET', `${P}/containers/json?filters=${encodeURIComponent('{"last":["x"]}')}`)).status, 400);
  for (const id of ids) assert.equal((await b.request('DELETE', `${P}/containers/${id}`)).status, 200);
});
