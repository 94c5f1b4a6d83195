// Request bodies are decoded as dockerd and podman decode them (Go's encoding/json): field names
// match case-insensitively, unknown fields are ignored, a wrong type is a 400 in the layer's
// error shape (never a 500), and no nesting depth can hurt the service.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { startBerth, waitFor, FIXTURES, type Berth, type HttpResult } from '../../helpers/berth.js';

let b: Berth;
const P = '/v5.4.2/libpod';
const C = '/v1.41';

before(async () => {
  b = await startBerth();
  const r = await b.docker(['load', '-i', join(FIXTURES, 'busybox-legacy.tar')]);
  assert.equal(r.code, 0, r.stderr);
});
after(async () => {
  for (const c of (await b.request('GET', `${C}/containers/json?all=1`)).json ?? []) await b.request('DELETE', `${C}/containers/${c.Id}?force=1`);
  await b.cleanup();
});

/** A compat error: 400 and dockerd's `{"message"}` alone. */
function compat400(r: HttpResult, message: string | RegExp): void {
  assert.equal(r.status, 400, r.text);
  assert.deepEqual(Object.keys(r.json), ['message']);
  if (typeof message === 'string') assert.equal(r.json.message, message);
  else assert.match(r.json.message, message);
}

/** A libpod error: 400 and podman's `{"cause","message","response"}`. */
function libpod400(r: HttpResult, cause: string | RegExp): void {
  assert.equal(r.status, 400, r.text);
  assert.deepEqual(Object.keys(r.json).sort(), ['cause', 'message', 'response']);
  assert.equal(r.json.response, 400);
  if (typeof cause === 'string') assert.equal(r.json.cause, cause);
  else assert.match(r.json.cause, cause);
  assert.ok(r.json.message.endsWith(r.json.cause), r.json.message);
}

async function stillServing(): Promise<void> {
  assert.equal((await b.request('GET', '/_ping')).status, 200, 'the service still answers');
}

test('compat create: a wrong type is a 400 naming the field as Go does', async () => {
  compat400(await b.request('POST', `${C}/containers/create`, { Image: 123 }), 'json: cannot unmarshal number into Go struct field ContainerConfigWrapper.Image of type string');
  compat400(await b.request('POST', `${C}/containers/create`, { Image: 'busybox', Env: 'x' }), 'json: cannot unmarshal string into Go struct field ContainerConfigWrapper.Env of type []string');
  compat400(await b.request('POST', `${C}/containers/create`, { Image: 'busybox', HostConfig: { Binds: '/tmp:/x' } }), 'json: cannot unmarshal string into Go struct field HostConfig.HostConfig.Binds of type []string');
  compat400(await b.request('POST', `${C}/containers/create`, { Image: 'busybox', HostConfig: { Ulimits: [{ Name: 'nofile', Soft: '1', Hard: 2 }] } }), 'json: cannot unmarshal string into Go struct field Ulimit.HostConfig.Ulimits.Soft of type int64');
  compat400(await b.request('POST', `${C}/containers/create`, { Image: 'busybox', HostConfig: { Ulimits: 'nofile=1:2' } }), /string into Go struct field HostConfig.HostConfig.Ulimits of type \[\]units.Ulimit/);
  compat400(await b.request('POST', `${C}/containers/create`, { Image: 'busybox', HostConfig: { NetworkMode: 5 } }), 'json: cannot unmarshal number into Go struct field HostConfig.HostConfig.NetworkMode of type string');
  compat400(await b.request('POST', `${C}/containers/create`, { Image: 'busybox', HostConfig: { Mounts: [{ Type: 'bind', Source: 1 }] } }), /number into Go struct field Mount.HostConfig.Mounts.Source of type string/);
  compat400(await b.request('POST', `${C}/containers/create`, { Image: 'busybox', HostConfig: { SecurityOpt: [1] } }), /number into Go struct field HostConfig.HostConfig.SecurityOpt of type string/);
  compat400(await b.request('POST', `${C}/containers/create`, { Image: 'busybox', StopSignal: 9 }), /number into Go struct field ContainerConfigWrapper.StopSignal of type string/);
  compat400(await b.request('POST', `${C}/containers/create`, [1]), 'json: cannot unmarshal array into Go value of type runconfig.ContainerConfigWrapper');
  await stillServing();
});

test('compat create: field names in any case, unknown fields ignored', async () => {
  const c = await b.request('POST', `${C}/containers/create?name=cased`, { image: 'busybox', CMD: ['sh', '-c', 'echo $A'], env: ['A=lower'], hostconfig: { networkmode: 'none' }, NoSuchField: { x: 1 } });
  assert.equal(c.status, 201, c.text);
  const i = await b.request('GET', `${C}/containers/cased/json`);
  assert.equal(i.json.Config.Image, 'busybox');
  assert.deepEqual(i.json.Config.Cmd, ['sh', '-c', 'echo $A']);
  assert.equal(i.json.HostConfig.NetworkMode, 'none');
  assert.equal(i.json.NoSuchField, undefined);
  assert.equal((await b.request('POST', `${C}/containers/cased/start`)).status, 204);
  assert.equal((await b.request('POST', `${C}/containers/cased/wait`)).json.StatusCode, 0);
});

test('compat update: a fraction for an integer is refused and the container stays usable', async () => {
  const c = await b.request('POST', `${C}/containers/create?name=upd`, { Image: 'busybox', Cmd: ['true'], HostConfig: { NetworkMode: 'none' } });
  assert.equal(c.status, 201, c.text);
  compat400(await b.request('POST', `${C}/containers/upd/update`, { MemoryReservation: 1.5 }), 'json: cannot unmarshal number 1.5 into Go struct field UpdateConfig.MemoryReservation of type int64');
  assert.equal((await b.request('POST', `${C}/containers/upd/start`)).status, 204);
  assert.equal((await b.request('POST', `${C}/containers/upd/wait`)).json.StatusCode, 0);
});

test('libpod create: capitalised fields are podman\'s fields; wrong types are 400', async () => {
  const c = await b.request('POST', `${P}/containers/create`, { Image: 'busybox', Command: ['true'], Name: 'capital' });
  assert.equal(c.status, 201, c.text);
  assert.equal((await b.request('POST', `${P}/containers/capital/start`)).status, 204);
  const w = await b.request('POST', `${P}/containers/capital/wait?condition=exited`);
  assert.equal(w.json, 0);
  libpod400(await b.request('POST', `${P}/containers/create`, { image: 123 }), 'json: cannot unmarshal number into Go struct field SpecGenerator.image of type string');
  libpod400(await b.request('POST', `${P}/containers/create`, { image: 'busybox', name: ['x'] }), /array into Go struct field SpecGenerator.name of type string/);
  libpod400(await b.request('POST', `${P}/containers/create`, { image: 'busybox', netns: { nsmode: 1 } }), 'json: cannot unmarshal number into Go struct field Namespace.netns.nsmode of type string');
  libpod400(await b.request('POST', `${P}/containers/create`, { image: 'busybox', mounts: 'x' }), /string into Go struct field SpecGenerator.mounts of type \[\]specs.Mount/);
  libpod400(await b.request('POST', `${P}/containers/create`, { image: 'busybox', r_limits: [{ type: 'nofile', soft: 'a' }] }), /string into Go struct field POSIXRlimit.r_limits.soft/);
  libpod400(await b.request('POST', `${P}/containers/create`, { image: 'busybox', selinux_opts: 'disable' }), /string into Go struct field SpecGenerator.selinux_opts of type \[\]string/);
  // A typed entry without its type is the engine's refusal, not a crash.
  const nameless = await b.request('POST', `${P}/containers/create`, { image: 'busybox', r_limits: [{ soft: 1, hard: 1 }] });
  assert.equal(nameless.status, 400, nameless.text);
  // Fields of the schema berth does not implement are still refused by name, in canonical case.
  const dev = await b.request('POST', `${P}/containers/create`, { image: 'busybox', Personality: { domain: 'LINUX32' } });
  assert.equal(dev.status, 400);
  assert.match(dev.json.message, /SpecGenerator field "personality"/);
  await stillServing();
});

test('a body nested 5,000 deep is a 400 on both create endpoints', async () => {
  const deep = '{"Labels":' + '{"a":'.repeat(5000) + '1' + '}'.repeat(5001);
  compat400(await b.request('POST', `${C}/containers/create`, deep), /nests deeper than 64 levels/);
  const deepArr = '{"image":"busybox","command":' + '['.repeat(5000) + ']'.repeat(5000) + '}';
  const l = await b.request('POST', `${P}/containers/create`, deepArr);
  assert.equal(l.status, 400, l.text);
  assert.equal(l.json.response, 400);
  assert.match(l.json.message, /nests deeper than 64 levels/);
  await stillServing();
});

test('exec create and start: wrong types are 400 in each layer\'s shape', async () => {
  const c = await b.request('POST', `${C}/containers/create?name=ex`, { Image: 'busybox', Cmd: ['sleep', '600'], HostConfig: { NetworkMode: 'none' } });
  assert.equal(c.status, 201, c.text);
  assert.equal((await b.request('POST', `${C}/containers/ex/start`)).status, 204);
  compat400(await b.request('POST', `${C}/containers/ex/exec`, { Cmd: ['true'], Env: 5 }), 'json: cannot unmarshal number into Go struct field ExecConfig.Env of type []string');
  compat400(await b.request('POST', `${C}/containers/ex/exec`, { Cmd: ['true'], DetachKeys: 7 }), /number into Go struct field ExecConfig.DetachKeys of type string/);
  libpod400(await b.request('POST', `${P}/containers/ex/exec`, { Cmd: ['true'], Env: 5 }), 'json: cannot unmarshal number into Go struct field ExecCreateConfig.Env of type []string');
  // Lower-case names reach the same fields.
  const e = await b.request('POST', `${P}/containers/ex/exec`, { cmd: ['sh', '-c', 'exit 3'], attachstdout: true });
  assert.equal(e.status, 201, e.text);
  libpod400(await b.request('POST', `${P}/exec/${e.json.Id}/start`, { Detach: true, h: 'x' }), /string into Go struct field ExecStartConfig.h of type uint16/);
  assert.equal((await b.request('POST', `${P}/exec/${e.json.Id}/start`, { detach: true })).status, 200);
  assert.ok(await waitFor(async () => (await b.request('GET', `${P}/exec/${e.json.Id}/json`)).json.ExitCode === 3));
  await stillServing();
});
