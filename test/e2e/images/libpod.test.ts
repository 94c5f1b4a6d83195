// The libpod image endpoints, driven with curl as podman-remote users script them.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { run, startBerth, type Berth } from '../../helpers/berth.js';
import { buildFixtures, fixture } from '../../fixtures/index.js';

const API = 'http://d/v5.4.2/libpod';

describe('libpod image endpoints (curl)', () => {
  let b: Berth;
  let ids: { busybox: string; extra: string; layered: string };
  const curl = async (args: string[]) => {
    const r = await run('curl', ['-sS', '--unix-socket', b.socket, '-w', '\n%{http_code}', ...args], { timeoutMs: 60_000 });
    assert.equal(r.code, 0, r.stderr);
    const nl = r.stdout.lastIndexOf('\n');
    const body = r.stdout.slice(0, nl);
    let json: any;
    try {
      json = JSON.parse(body);
    } catch {
      json = undefined;
    }
    return { status: Number(r.stdout.slice(nl + 1)), body, json };
  };

  before(async () => {
    ids = await buildFixtures();
    b = await startBerth();
  });
  after(async () => b?.cleanup());

  test('load answers the loaded names; json, exists, inspect', async () => {
    const l1 = await curl(['-X', 'POST', '--data-binary', `@${fixture('busybox-oci.tar')}`, `${API}/images/load`]);
    assert.equal(l1.status, 200);
    assert.deepEqual(l1.json, { Names: ['docker.io/library/busybox:latest'] });
    const l2 = await curl(['-X', 'POST', '--data-binary', `@${fixture('extra-legacy.tar')}`, `${API}/images/load`]);
    assert.deepEqual(l2.json, { Names: ['docker.io/library/berth-extra:1'] });
    const list = await curl([`${API}/images/json`]);
    assert.equal(list.status, 200);
    const byId = new Map(list.json.map((i: any) => [i.Id, i]));
    const bb: any = byId.get(ids.busybox);
    assert.deepEqual(bb.RepoTags, ['docker.io/library/busybox:latest']);
    assert.deepEqual(bb.Names, ['docker.io/library/busybox:latest']);
    assert.equal(bb.Dangling, false);
    assert.equal(bb.Created, 1700000000);
    assert.ok(bb.SharedSize > 0, 'busybox shares its layer with berth-extra');
    assert.match(bb.Digest, /^sha256:[a-f0-9]{64}$/);
    const filtered = await curl(['-G', '--data-urlencode', 'filters={"label":["berth.fixture=extra"]}', `${API}/images/json`]);
    assert.deepEqual(filtered.json.map((i: any) => i.Id), [ids.extra]);
    assert.equal((await curl([`${API}/images/busybox/exists`])).status, 204);
    const missing = await curl([`${API}/images/nosuch/exists`]);
    assert.equal(missing.status, 404);
    assert.equal(missing.json.response, 404);
    assert.match(missing.json.message, /No such image: nosuch/);
    const bad = await curl([`${API}/images/UPPER/json`]);
    assert.equal(bad.status, 400);
    assert.match(bad.json.message, /must be lowercase/);
    const insp = await curl([`${API}/images/busybox/json`]);
    assert.equal(insp.status, 200);
    assert.equal(insp.json.Id, ids.busybox);
    assert.deepEqual(insp.json.RepoTags, ['docker.io/library/busybox:latest']);
    assert.equal(insp.json.RootFS.Layers.length, 1);
    assert.equal(insp.json.GraphDriver.Name, 'overlay');
    assert.deepEqual(insp.json.Config.Cmd, ['sh']);
    assert.equal(insp.json.Os, 'linux');
  });

  test('history and tree', async () => {
    const h = await curl([`${API}/images/berth-extra:1/history`]);
    assert.equal(h.status, 200);
    assert.deepEqual(h.json.map((e: any) => e.createdBy), ['ADD hello.txt', 'busybox']);
    assert.equal(h.json[0].id, ids.extra);
    assert.deepEqual(h.json[0].tags, ['docker.io/library/berth-extra:1']);
    const t = await curl([`${API}/images/berth-extra:1/tree`]);
    assert.equal(t.status, 200);
    assert.match(t.json.Tree, new RegExp(`^Image ID: ${ids.extra.slice(0, 12)}`));
    assert.match(t.json.Tree, /Top Layer of: \[docker\.io\/library\/busybox:latest\]/);
    assert.match(t.json.Tree, /└── ID: [a-f0-9]{12} .*Top Layer of: \[docker\.io\/library\/berth-extra:1\]/);
  });

  test('tag puts registry-less names under localhost/, untag removes them', async () => {
    const t = await curl(['-X', 'POST', `${API}/images/busybox/tag?repo=mine&tag=t1`]);
    assert.equal(t.status, 201);
    let insp = await curl([`${API}/images/busybox/json`]);
    assert.deepEqual(insp.json.RepoTags, ['docker.io/library/busybox:latest', 'localhost/mine:t1']);
    assert.equal((await curl([`${API}/images/mine:t1/exists`])).status, 204, 'found by the name given');
    const u = await curl(['-X', 'POST', `${API}/images/busybox/untag?repo=localhost/mine&tag=t1`]);
    assert.equal(u.status, 201);
    insp = await curl([`${API}/images/busybox/json`]);
    assert.deepEqual(insp.json.RepoTags, ['docker.io/library/busybox:latest']);
  });

  test('import with reference and changes; remove reports untagged, deleted and errors', async () => {
    const imp = await curl([
      '-X', 'POST', '--data-binary', `@${fixture('busybox-rootfs.tar')}`,
      `${API}/images/import?reference=podimp:v2&changes=${encodeURIComponent('CMD ["sh","-c","true"]')}&message=${encodeURIComponent('from curl')}`,
    ]);
    assert.equal(imp.status, 200, imp.body);
    assert.match(imp.json.Id, /^[a-f0-9]{64}$/);
    const insp = await curl([`${API}/images/podimp:v2/json`]);
    assert.deepEqual(insp.json.RepoTags, ['localhost/podimp:v2']);
    assert.deepEqual(insp.json.Config.Cmd, ['sh', '-c', 'true']);
    assert.equal(insp.json.Comment, 'from curl');
    const rm = await curl(['-X', 'DELETE', `${API}/images/remove?images=podimp:v2&images=nosuch`]);
    assert.equal(rm.status, 200);
    assert.deepEqual(rm.json.Untagged, ['localhost/podimp:v2']);
    assert.deepEqual(rm.json.Deleted, [imp.json.Id]);
    assert.equal(rm.json.Errors.length, 1);
    assert.match(rm.json.Errors[0], /No such image: nosuch/);
    assert.equal(rm.json.ExitCode, 1);
    const one = await curl(['-X', 'DELETE', `${API}/images/nosuch`]);
    assert.equal(one.status, 404);
  });

  test('export as oci-archive and docker-archive, get, and load back the same IDs', async () => {
    const dir = join(b.dir, 'exports');
    mkdirSync(dir);
    const oci = join(dir, 'oci.tar');
    const r = await run('curl', ['-sS', '-f', '--unix-socket', b.socket, '-o', oci, `${API}/images/export?format=oci-archive&references=busybox&references=berth-extra:1`]);
    assert.equal(r.code, 0, r.stderr);
    const x = join(dir, 'x');
    mkdirSync(x);
    await run('tar', ['xf', oci, '-C', x]);
    assert.deepEqual(readdirSync(x).sort(), ['blobs', 'index.json', 'oci-layout'], 'an oci-archive has no manifest.json');
    const index = JSON.parse(readFileSync(join(x, 'index.json'), 'utf8'));
    assert.deepEqual(index.manifests.map((m: any) => m.annotations['org.opencontainers.image.ref.name']).sort(), ['docker.io/library/berth-extra:1', 'docker.io/library/busybox:latest']);
    for (const f of readdirSync(join(x, 'blobs/sha256'))) {
      assert.equal(createHash('sha256').update(readFileSync(join(x, 'blobs/sha256', f))).digest('hex'), f);
    }
    const one = join(dir, 'one.tar');
    assert.equal((await run('curl', ['-sS', '-f', '--unix-socket', b.socket, '-o', one, `${API}/images/berth-extra:1/get?format=docker-archive`])).code, 0);
    const rm = await curl(['-X', 'DELETE', `${API}/images/remove?images=busybox&images=berth-extra:1`]);
    assert.equal(rm.json.ExitCode, 0, rm.body);
    assert.deepEqual((await curl([`${API}/images/json`])).json, []);
    assert.deepEqual(readdirSync(join(b.root, 'overlay')), ['l']);
    const back = await curl(['-X', 'POST', '--data-binary', `@${oci}`, `${API}/images/load`]);
    assert.deepEqual(back.json.Names.sort(), ['docker.io/library/berth-extra:1', 'docker.io/library/busybox:latest']);
    assert.equal((await curl([`${API}/images/busybox/json`])).json.Id, ids.busybox);
    assert.equal((await curl([`${API}/images/berth-extra:1/json`])).json.Id, ids.extra);
    const bad = await curl([`${API}/images/export?format=tarball&references=busybox`]);
    assert.equal(bad.status, 400);
  });

  test('prune removes dangling images and reports sizes', async () => {
    const imp = await curl(['-X', 'POST', '--data-binary', `@${fixture('busybox-rootfs.tar')}`, `${API}/images/import`]);
    const p = await curl(['-X', 'POST', `${API}/images/prune`]);
    assert.equal(p.status, 200);
    assert.deepEqual(p.json.map((e: any) => e.Id), [imp.json.Id]);
    assert.equal(p.json[0].Size, 0, 'its only layer is shared with busybox');
    const all = await curl(['-X', 'POST', `${API}/images/prune?all=true`]);
    assert.deepEqual(all.json.map((e: any) => e.Id).sort(), [ids.busybox, ids.extra].sort());
    assert.deepEqual(readdirSync(join(b.root, 'overlay')), ['l']);
  });
});
