// The image store through the real docker CLI: load (both archive forms), list filters, tag,
// rmi with shared layers, save/load round trip, import --change, history, prune, inspect.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, rmSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { run, startBerth, type Berth } from '../../helpers/berth.js';
import { buildFixtures, fixture } from '../../fixtures/index.js';

const fx = fixture;
const layerDirs = (b: Berth) => readdirSync(join(b.root, 'overlay')).filter((d) => /^[a-f0-9]{64}$/.test(d));

describe('images through the docker CLI', () => {
  let b: Berth;
  let ids: Record<string, string>;
  const docker = async (...args: string[]) => {
    const r = await b.docker(args, { timeoutMs: 60_000 });
    assert.equal(r.code, 0, `docker ${args.join(' ')}: ${r.stderr}`);
    return r.stdout;
  };
  const images = async (...args: string[]) =>
    (await docker('images', '--format', '{{.Repository}}:{{.Tag}} {{.ID}}', ...args)).trim().split('\n').filter(Boolean).sort();

  before(async () => {
    ids = await buildFixtures();
    b = await startBerth();
  });
  after(async () => b?.cleanup());

  test('docker load takes the legacy and the OCI-layout docker-archive, with the same ID', async () => {
    const legacy = await docker('load', '-i', fx('busybox-legacy.tar'));
    assert.match(legacy, /Loaded image: busybox:latest/);
    const id1 = (await docker('inspect', '--format', '{{.Id}}', 'busybox')).trim();
    assert.equal(id1, `sha256:${ids.busybox}`);
    const oci = await docker('load', '-i', fx('busybox-oci.tar'));
    assert.match(oci, /Loaded image: busybox:latest/);
    assert.equal((await docker('inspect', '--format', '{{.Id}}', 'busybox')).trim(), id1);
    assert.match(await docker('load', '-i', fx('layered-oci.tar')), /Loaded image: berth-layered:latest/);
    assert.match(await docker('load', '-i', fx('extra-legacy.tar')), /Loaded image: berth-extra:1/);
    assert.deepEqual(await images(), [
      `berth-extra:1 ${ids.extra.slice(0, 12)}`,
      `berth-layered:latest ${ids.layered.slice(0, 12)}`,
      `busybox:latest ${ids.busybox.slice(0, 12)}`,
    ]);
    // busybox and berth-extra share their base layer: stored once (3 layered + 1 extra + 1 base).
    assert.equal(layerDirs(b).length, 4);
  });

  test('docker inspect shows docker fields', async () => {
    const [img] = JSON.parse(await docker('inspect', 'berth-layered'));
    assert.equal(img.Id, `sha256:${ids.layered}`);
    assert.deepEqual(img.RepoTags, ['berth-layered:latest']);
    assert.equal(img.RepoDigests.length, 1);
    assert.match(img.RepoDigests[0], /^berth-layered@sha256:[a-f0-9]{64}$/);
    assert.equal(img.Created, '2023-11-14T22:13:20Z');
    assert.equal(img.Architecture, 'amd64');
    assert.equal(img.Os, 'linux');
    assert.deepEqual(img.Config.Cmd, ['sh']);
    assert.deepEqual(img.Config.Labels, { 'berth.fixture': 'layered' });
    assert.equal(img.RootFS.Type, 'layers');
    assert.equal(img.RootFS.Layers.length, 3);
    assert.equal(img.GraphDriver.Name, 'overlay');
    assert.equal(img.GraphDriver.Data.LowerDir.split(':').length, 2);
    for (const d of [...img.GraphDriver.Data.LowerDir.split(':'), img.GraphDriver.Data.UpperDir]) assert.ok(existsSync(d), d);
    assert.ok(img.Size > 1_900_000 && img.Size < 2_100_000, `size ${img.Size}`);
    assert.equal(img.VirtualSize, img.Size);
    assert.ok('ContainerConfig' in img && 'Metadata' in img);
    const short = (await docker('inspect', '--format', '{{.Id}}', ids.layered.slice(0, 8))).trim();
    assert.equal(short, `sha256:${ids.layered}`, 'ID prefixes resolve');
    const byDigest = (await docker('inspect', '--format', '{{.Id}}', img.RepoDigests[0])).trim();
    assert.equal(byDigest, img.Id, 'digest references resolve');
    const full = (await docker('inspect', '--format', '{{.Id}}', 'docker.io/library/berth-layered:latest')).trim();
    assert.equal(full, img.Id);
  });

  test('docker tag and docker images with filters', async () => {
    await docker('tag', 'busybox', 'busybox:b');
    await docker('tag', 'busybox:latest', 'example.com/team/bb:1');
    assert.deepEqual(await images('busybox:b'), [`busybox:b ${ids.busybox.slice(0, 12)}`], 'a reference filter shows only matching names');
    assert.deepEqual(await images('--filter', 'reference=busybox'), [`busybox:b ${ids.busybox.slice(0, 12)}`, `busybox:latest ${ids.busybox.slice(0, 12)}`]);
    assert.deepEqual(await images('--filter', 'reference=berth-*'), [`berth-extra:1 ${ids.extra.slice(0, 12)}`, `berth-layered:latest ${ids.layered.slice(0, 12)}`]);
    assert.deepEqual(await images('--filter', 'label=berth.fixture=extra'), [`berth-extra:1 ${ids.extra.slice(0, 12)}`]);
    assert.deepEqual(await images('--filter', 'label=berth.fixture'), [`berth-extra:1 ${ids.extra.slice(0, 12)}`, `berth-layered:latest ${ids.layered.slice(0, 12)}`]);
    assert.deepEqual(await images('--filter', 'dangling=true'), []);
    assert.equal((await images()).length, 5);
    const bad = await b.docker(['tag', 'busybox', 'Bad:Name']);
    assert.notEqual(bad.code, 0);
    assert.match(bad.stderr, /invalid reference format/);
    const missing = await b.docker(['tag', 'nosuch', 'x:y']);
    assert.notEqual(missing.code, 0);
    assert.match(missing.stderr, /No such image: nosuch/);
  });

  test('docker rmi untags first, and removes shared layers only with their last image', async () => {
    assert.match(await docker('rmi', 'busybox:b'), /Untagged: busybox:b/);
    assert.match(await docker('rmi', 'example.com/team/bb:1'), /Untagged: example.com\/team\/bb:1/);
    const base = layerDirs(b);
    const out = await docker('rmi', 'berth-extra:1');
    assert.match(out, /Untagged: berth-extra:1/);
    assert.match(out, new RegExp(`Deleted: sha256:${ids.extra}`));
    const after1 = layerDirs(b);
    assert.equal(after1.length, base.length - 1, 'only the extra layer went');
    assert.equal((await docker('inspect', '--format', '{{.Id}}', 'busybox')).trim(), `sha256:${ids.busybox}`);
    const r = await b.docker(['rmi', 'nosuch:tag']);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /No such image/);
    await docker('tag', 'busybox', 'busybox:two');
    const conflict = await b.docker(['rmi', ids.busybox.slice(0, 12)]);
    assert.notEqual(conflict.code, 0);
    assert.match(conflict.stderr, /referenced in multiple repositories/);
    const forced = await docker('rmi', '-f', ids.busybox.slice(0, 12));
    assert.match(forced, /Untagged: busybox:latest/);
    assert.match(forced, /Untagged: busybox:two/);
    assert.match(forced, new RegExp(`Deleted: sha256:${ids.busybox}`));
    // berth-layered still needs the base layer.
    assert.equal(layerDirs(b).length, 3);
    await docker('rmi', 'berth-layered');
    assert.deepEqual(layerDirs(b), []);
    assert.deepEqual(readdirSync(join(b.root, 'overlay', 'l')), [], 'no dangling short links');
  });

  test('docker save then docker load gives the same IDs, and layer tars match their diff IDs', async () => {
    await docker('load', '-i', fx('busybox-legacy.tar'));
    await docker('load', '-i', fx('layered-oci.tar'));
    const out = join(b.dir, 'saved.tar');
    await docker('save', '-o', out, 'busybox', 'berth-layered');
    const x = join(b.dir, 'saved');
    mkdirSync(x);
    assert.equal((await run('tar', ['xf', out, '-C', x])).code, 0);
    const manifest = JSON.parse(readFileSync(join(x, 'manifest.json'), 'utf8'));
    assert.deepEqual(manifest.map((m: { RepoTags: string[] }) => m.RepoTags).sort(), [['berth-layered:latest'], ['busybox:latest']]);
    for (const m of manifest) {
      const cfg = JSON.parse(readFileSync(join(x, m.Config), 'utf8'));
      m.Layers.forEach((l: string, i: number) => {
        const d = 'sha256:' + createHash('sha256').update(readFileSync(join(x, l))).digest('hex');
        assert.equal(d, cfg.rootfs.diff_ids[i], `${l} hashes to its diff ID`);
      });
    }
    assert.ok(existsSync(join(x, 'index.json')) && existsSync(join(x, 'oci-layout')));
    await docker('rmi', 'busybox', 'berth-layered');
    assert.deepEqual(await images(), []);
    const loaded = await docker('load', '-i', out);
    assert.match(loaded, /Loaded image: busybox:latest/);
    assert.match(loaded, /Loaded image: berth-layered:latest/);
    assert.equal((await docker('inspect', '--format', '{{.Id}}', 'busybox')).trim(), `sha256:${ids.busybox}`);
    assert.equal((await docker('inspect', '--format', '{{.Id}}', 'berth-layered')).trim(), `sha256:${ids.layered}`);
    rmSync(x, { recursive: true });
  });

  test('loading a name another image holds moves the name, as docker reports', async () => {
    await docker('tag', 'berth-layered', 'busybox:latest');
    assert.equal((await docker('inspect', '--format', '{{.Id}}', 'busybox')).trim(), `sha256:${ids.layered}`);
    const out = await docker('load', '-i', fx('busybox-legacy.tar'));
    assert.match(out, new RegExp(`The image busybox:latest already exists, renaming the old one with ID sha256:${ids.layered} to empty string`));
    assert.equal((await docker('inspect', '--format', '{{.Id}}', 'busybox')).trim(), `sha256:${ids.busybox}`);
    assert.deepEqual(JSON.parse(await docker('inspect', '--format', '{{json .RepoTags}}', 'berth-layered')), ['berth-layered:latest']);
  });

  test('docker import with --change and --message, then docker history', async () => {
    const id = (
      await docker(
        'import',
        '--change', 'CMD ["sh", "-c", "echo hi"]',
        '--change', 'ENV FOO=bar',
        '--change', 'WORKDIR /tmp',
        '--change', 'ENTRYPOINT ["/bin/busybox"]',
        '--change', 'EXPOSE 8080/tcp',
        '--change', 'LABEL stage=test',
        '--change', 'USER 1000',
        '--change', 'VOLUME /data',
        '--message', 'imported by test',
        fx('busybox-rootfs.tar'),
        'imported:v1',
      )
    ).trim();
    assert.match(id, /^sha256:[a-f0-9]{64}$/);
    const [img] = JSON.parse(await docker('inspect', 'imported:v1'));
    assert.equal(img.Id, id);
    assert.deepEqual(img.Config.Cmd, ['sh', '-c', 'echo hi']);
    assert.deepEqual(img.Config.Entrypoint, ['/bin/busybox']);
    assert.ok(img.Config.Env.includes('FOO=bar'));
    assert.equal(img.Config.WorkingDir, '/tmp');
    assert.deepEqual(img.Config.ExposedPorts, { '8080/tcp': {} });
    assert.deepEqual(img.Config.Labels, { stage: 'test' });
    assert.equal(img.Config.User, '1000');
    assert.deepEqual(img.Config.Volumes, { '/data': {} });
    assert.equal(img.Comment, 'imported by test');
    const hist = (await docker('history', '--no-trunc', '--format', '{{.ID}}|{{.Comment}}|{{.Size}}', 'imported:v1')).trim().split('\n');
    assert.equal(hist.length, 1);
    assert.equal(hist[0].split('|')[0], id);
    assert.equal(hist[0].split('|')[1], 'imported by test');
    const layered = (await docker('history', '--format', '{{.CreatedBy}}|{{.Size}}', 'berth-layered')).trim().split('\n');
    assert.deepEqual(layered.map((l) => l.split('|')[0]), ['whiteouts', 'add files', 'busybox']);
    // Importing the busybox rootfs again reuses the busybox layer: no new layer dir.
    assert.equal(layerDirs(b).length, 3);
    const bad = await b.docker(['import', '--change', 'RUN echo', fx('busybox-rootfs.tar')]);
    assert.notEqual(bad.code, 0);
    assert.match(bad.stderr, /not a valid change command/);
  });

  test('docker image prune removes dangling images, and -a with a label filter removes unused ones', async () => {
    const dangling = (await docker('import', fx('busybox-rootfs.tar'))).trim();
    assert.deepEqual(await images('--filter', 'dangling=true'), [`<none>:<none> ${dangling.slice(7, 19)}`]);
    const out = await docker('image', 'prune', '-f');
    assert.match(out, new RegExp(`deleted: ${dangling}`));
    assert.deepEqual(await images('--filter', 'dangling=true'), []);
    assert.equal((await images()).length, 3);
    const all = await docker('image', 'prune', '-a', '-f', '--filter', 'label=stage=test');
    assert.match(all, /untagged: imported:v1/);
    assert.equal((await images()).length, 2);
  });

  test('docker rmi answers 409 while a container uses the image; -f only untags it', async () => {
    await docker('load', '-i', fx('extra-legacy.tar'));
    const cid = (await docker('create', '--name', 'uses-extra', 'berth-extra:1', 'true')).trim();
    const r = await b.docker(['rmi', 'berth-extra:1']);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /conflict: unable to remove repository reference "berth-extra:1" \(must force\) - container [a-f0-9]{12} is using its referenced image/);
    const api = await b.request('DELETE', `/v1.41/images/${ids.extra}`);
    assert.equal(api.status, 409);
    assert.match(api.json.message, /being used by stopped container/);
    const forced = await docker('rmi', '-f', 'berth-extra:1');
    assert.match(forced, /Untagged: berth-extra:1/);
    assert.doesNotMatch(forced, /Deleted:/, 'the container still needs the layers');
    assert.equal((await docker('inspect', '--format', '{{.Id}}', ids.extra)).trim(), `sha256:${ids.extra}`);
    await docker('rm', cid);
    const pruned = await docker('image', 'prune', '-f');
    assert.match(pruned, new RegExp(`deleted: sha256:${ids.extra}`));
  });
});
