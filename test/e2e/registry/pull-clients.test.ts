// Pulls by the other real clients: podman --remote (pull with --tls-verify=false, short names
// through registries.conf search registries and aliases, run --pull missing / never, the report
// stream) and docker-compose 1.29 bringing up a service whose image is only in the registry.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { run, startBerth, type Berth } from '../../helpers/berth.js';
import { buildFixtures } from '../../fixtures/index.js';
import { fixtureImage, uploadImage } from '../support/images.js';
import { startRegistry, type Registry } from '../support/registry.js';

let b: Berth;
let reg: Registry;
let ids: Record<string, string>;
let confDir: string;
let conf: string;
const podman = (args: string[]) => run('podman', ['--remote', '--url', `unix://${b.socket}`, ...args], { timeoutMs: 60_000 });

before(async () => {
  ids = await buildFixtures();
  reg = await startRegistry();
  const img = await fixtureImage('busybox');
  for (const repo of ['berth-clients/busybox', 'berth-clients/short', 'berth-clients/aliased', 'berth-clients/runme', 'berth-clients/composed']) await uploadImage(reg, repo, 'latest', img);
  confDir = mkdtempSync(join(tmpdir(), 'berth-clients-'));
  conf = join(confDir, 'registries.conf');
  writeFileSync(
    conf,
    `unqualified-search-registries = ["${reg.host}"]\n\n[[registry]]\nlocation = "${reg.host}"\ninsecure = true\n\n[aliases]\n"berth-alias" = "${reg.host}/berth-clients/aliased"\n`,
  );
  b = await startBerth({ env: { CONTAINERS_REGISTRIES_CONF: conf, REGISTRY_AUTH_FILE: '/nonexistent/berth-pull-auth.json' } });
});
after(async () => {
  await b?.docker(['rm', '-f', ...((await b?.docker(['ps', '-aq']))?.stdout.split('\n').filter(Boolean) ?? [])]);
  await b?.cleanup();
  await reg?.stop();
  if (confDir) rmSync(confDir, { recursive: true, force: true });
});

test('podman --remote pull: --tls-verify=false, quiet gives the ID, the report stream', async () => {
  const name = `${reg.host}/berth-clients/busybox:latest`;
  const r = await podman(['pull', '--tls-verify=false', name]);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout.trim(), ids.busybox);
  assert.match(r.stderr, new RegExp(`Trying to pull ${name}`));
  assert.match(r.stderr, /Copying config sha256:/);
  const q = await podman(['pull', '-q', '--tls-verify=false', name]);
  assert.equal(q.stdout.trim(), ids.busybox);
  const report = await b.request('POST', `/v5.4.2/libpod/images/pull?reference=${encodeURIComponent(name)}&tlsVerify=false`);
  const lines = report.text.trim().split('\n').map((l) => JSON.parse(l));
  assert.deepEqual(lines.at(-1), { images: [ids.busybox], id: ids.busybox });
  assert.ok(lines.slice(0, -1).every((l) => typeof l.stream === 'string'));
  const missing = await b.request('POST', `/v5.4.2/libpod/images/pull?reference=${encodeURIComponent(`${reg.host}/berth-clients/nosuch`)}&tlsVerify=false`);
  assert.equal(missing.status, 200);
  assert.match(JSON.parse(missing.text.trim().split('\n').at(-1)!).error, /not found|manifest unknown/);
});

test('short names: registries.conf search registries and aliases', async () => {
  const s = await podman(['pull', 'berth-clients/short']);
  assert.equal(s.code, 0, s.stderr);
  const names = JSON.parse((await podman(['image', 'inspect', s.stdout.trim()])).stdout)[0].RepoTags;
  assert.ok(names.includes(`${reg.host}/berth-clients/short:latest`), names);
  const a = await podman(['pull', 'berth-alias']);
  assert.equal(a.code, 0, a.stderr);
  const an = JSON.parse((await podman(['image', 'inspect', a.stdout.trim()])).stdout)[0].RepoTags;
  assert.ok(an.includes(`${reg.host}/berth-clients/aliased:latest`), an);
});

test('podman --remote run --pull missing pulls; --pull never runs what is here and refuses what is not', async () => {
  const name = `${reg.host}/berth-clients/runme`;
  const never = await podman(['run', '--rm', '--pull', 'never', name, 'true']);
  assert.notEqual(never.code, 0);
  assert.match(never.stderr, /image not known/);
  const r = await podman(['run', '--rm', '--network', 'none', '--pull', 'missing', name, 'echo', 'ran']);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout.trim(), 'ran');
  const again = await podman(['run', '--rm', '--network', 'none', '--pull', 'never', name, 'echo', 'again']);
  assert.equal(again.code, 0, again.stderr);
  assert.equal(again.stdout.trim(), 'again');
});

test('docker-compose up pulls an image that is only in the registry', async () => {
  const dir = join(b.dir, 'compose-pull');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'docker-compose.yml'), `version: "3.7"\nservices:\n  app:\n    image: ${reg.host}/berth-clients/composed:latest\n    command: sh -c 'echo composed-up; exec sleep 600'\n    network_mode: none\n`);
  const compose = (args: string[]) => run('docker-compose', ['-p', 'berthpull', '-f', join(dir, 'docker-compose.yml'), ...args], { env: { ...process.env, DOCKER_HOST: `unix://${b.socket}`, DOCKER_CONFIG: join(b.dir, 'docker-config') }, timeoutMs: 120_000 });
  try {
    const up = await compose(['up', '-d']);
    assert.equal(up.code, 0, up.stderr);
    assert.match(up.stderr + up.stdout, /Pulling app/);
    const ps = await b.dockerOk(['ps', '--format', '{{.Image}} {{.Status}}']);
    assert.match(ps, new RegExp(`${reg.host}/berth-clients/composed:latest Up`));
  } finally {
    await compose(['down', '-t', '0']);
  }
});

test('registries.conf mirrors serve a registry that is down; a blocked registry is refused', async () => {
  const original = readFileSync(conf, 'utf8');
  try {
    // Nothing listens on port 1: only the mirror can answer.
    writeFileSync(conf, `${original}\n[[registry]]\nlocation = "127.0.0.1:1"\ninsecure = true\n[[registry.mirror]]\nlocation = "${reg.host}"\ninsecure = true\n\n[[registry]]\nprefix = "127.0.0.2:5000"\nblocked = true\n`);
    const m = await b.docker(['pull', '127.0.0.1:1/berth-clients/busybox:latest'], { timeoutMs: 60_000 });
    assert.equal(m.code, 0, m.stderr);
    assert.equal(JSON.parse(await b.dockerOk(['inspect', '127.0.0.1:1/berth-clients/busybox:latest']))[0].Id, `sha256:${ids.busybox}`);
    const blocked = await b.request('POST', `/v1.41/images/create?fromImage=${encodeURIComponent('127.0.0.2:5000/x')}&tag=latest`);
    assert.equal(blocked.status, 400);
    assert.match(blocked.json.message, /registry 127.0.0.2:5000 is blocked/);
  } finally {
    writeFileSync(conf, original);
  }
});

test('libpod info reports registries.conf as pulls read it', async () => {
  const r = await b.request('GET', '/v5.4.2/libpod/info');
  assert.equal(r.status, 200, r.text);
  assert.deepEqual(r.json.registries.search, [reg.host]);
  assert.equal(r.json.registries[reg.host].Insecure, true);
  assert.equal(r.json.registries[reg.host].Location, reg.host);
  const p = await podman(['info', '--format', '{{json .Registries}}']);
  assert.equal(p.code, 0, p.stderr);
  assert.deepEqual(JSON.parse(p.stdout).search, [reg.host]);
});
