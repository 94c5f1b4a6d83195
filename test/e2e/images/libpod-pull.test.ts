// podman-remote asks POST /libpod/images/pull before every run and create: an image that is here
// answers with its ID, so podman-remote runs local images; what needs a registry says why.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { startBerth, run, FIXTURES, type Berth } from '../../helpers/berth.js';

let b: Berth;
const podman = (args: string[]) => run('podman', ['--remote', '--url', `unix://${b.socket}`, ...args], { timeoutMs: 30_000 });

before(async () => {
  b = await startBerth();
  await b.dockerOk(['load', '-i', join(FIXTURES, 'busybox-legacy.tar')]);
});
after(async () => {
  await b.docker(['rm', '-f', ...(await b.docker(['ps', '-aq'])).stdout.split('\n').filter(Boolean)]);
  await b.cleanup();
});

test('podman-remote run of a local image: output, exit code, --pull never; an unknown image is 125 with the reason', async () => {
  const hi = await podman(['run', '--rm', '--network', 'none', 'busybox', 'echo', 'hi']);
  assert.equal(hi.code, 0, hi.stderr);
  assert.equal(hi.stdout, 'hi\n');
  const three = await podman(['run', '--rm', '--network', 'none', '--pull', 'never', 'busybox', 'sh', '-c', 'exit 3']);
  assert.equal(three.code, 3, three.stderr);
  const missing = await podman(['run', '--rm', 'nosuchimage', 'true']);
  assert.equal(missing.code, 125);
  // As podman: the short name goes through registries.conf, which names no search registry here.
  assert.match(missing.stderr, /short-name "nosuchimage" did not resolve to an alias/);
  assert.equal((await b.dockerOk(['ps', '-aq'])).trim(), '', 'nothing left behind');
});

test('the pull report stream: the local image for missing/never/newer (registry unreachable), the reason for always; bad parameters 400', async () => {
  const id = JSON.parse(await b.dockerOk(['inspect', 'busybox']))[0].Id.replace(/^sha256:/, '');
  for (const policy of ['missing', 'never', 'newer']) {
    const r = await b.request('POST', `/v5.4.2/libpod/images/pull?reference=busybox&policy=${policy}`);
    assert.equal(r.status, 200);
    assert.deepEqual(JSON.parse(r.text.trim()), { id, images: [id] });
  }
  // always asks the registry (registries.conf's alias: docker.io, unreachable here): the reason in the stream.
  const always = await b.request('POST', '/v5.4.2/libpod/images/pull?reference=busybox');
  assert.equal(always.status, 200);
  assert.match(JSON.parse(always.text.trim().split('\n').at(-1)!).error, /registry/);
  const never = await b.request('POST', '/v5.4.2/libpod/images/pull?reference=nosuch&policy=never');
  assert.match(JSON.parse(never.text.trim()).error, /nosuch: image not known/);
  const noRef = await b.request('POST', '/v5.4.2/libpod/images/pull');
  assert.equal(noRef.status, 400);
  assert.equal(noRef.json.response, 400);
  const badPolicy = await b.request('POST', '/v5.4.2/libpod/images/pull?reference=busybox&policy=sometimes');
  assert.equal(badPolicy.status, 400);
  assert.match(badPolicy.json.message, /unsupported pull policy/);
});
