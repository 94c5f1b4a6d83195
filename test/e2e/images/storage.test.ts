// Untrusted archives are refused without a trace, and unpacked layers really work as overlay
// lower dirs: whiteouts hide lower files, opaque dirs hide lower content.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { getAttributeSync } from '@napi-rs/xattr';
import { run, startBerth, type Berth } from '../../helpers/berth.js';
import { mountOverlay, unmount } from '../../../src/storage/overlay.js';
import { buildFixtures, fixture } from '../../fixtures/index.js';

const fx = fixture;

describe('image storage safety and overlay', () => {
  let b: Berth;
  let ids: Record<string, string>;
  before(async () => {
    ids = await buildFixtures();
    b = await startBerth();
  });
  after(async () => b?.cleanup());

  test('malicious archives are refused with a clear reason and leave nothing behind', async () => {
    const cases: [string, RegExp][] = [
      ['evil-traversal.tar', /path traversal/],
      ['evil-absolute.tar', /absolute path/],
      ['evil-symlink.tar', /through symlink "esc"/],
      ['evil-symlink-rel.tar', /through symlink "a\/esc"/],
      ['evil-hardlink.tar', /hard link target .*path traversal/],
      ['evil-hardlink-abs.tar', /hard link target .*absolute path/],
      ['evil-truncated-layer.tar', /truncated/],
      ['evil-truncated-archive.tar', /truncated/],
      ['evil-wrong-diffid.tar', /does not match its digest/],
      ['evil-wrong-digest-oci.tar', /does not match its digest/],
    ];
    for (const [file, re] of cases) {
      const r = await b.docker(['load', '-i', fx(file)]);
      assert.notEqual(r.code, 0, `${file} was accepted`);
      assert.match(r.stderr, /invalid image archive/, file);
      assert.match(r.stderr, re, file);
    }
    for (const p of ['/tmp/berth-evil-traversal', '/tmp/berth-evil-absolute', '/tmp/berth-evil-symlink', '/tmp/berth-evil-symlink-rel']) {
      assert.ok(!existsSync(p), `${p} was written outside the layer`);
    }
    const overlay = join(b.root, 'overlay');
    assert.deepEqual(readdirSync(overlay).sort(), ['l']);
    assert.deepEqual(readdirSync(join(overlay, 'l')), []);
    assert.deepEqual(readdirSync(join(b.root, 'overlay-layers')), []);
    assert.deepEqual(readdirSync(join(b.root, 'tmp')), []);
    const list = await b.request('GET', '/v1.41/images/json');
    assert.deepEqual(list.json, []);
    // compat reports the reason in the 200 stream, as dockerd does (issue 10); libpod is a 400, never a 500.
    const raw = await b.request('POST', '/v1.41/images/load', readFileSync(fx('evil-traversal.tar')), { 'Content-Type': 'application/x-tar' });
    assert.equal(raw.status, 200);
    assert.match(JSON.parse(raw.text.trim()).errorDetail.message, /path traversal/);
    const lp = await b.request('POST', '/v5.4.2/libpod/images/load', readFileSync(fx('evil-traversal.tar')), { 'Content-Type': 'application/x-tar' });
    assert.equal(lp.status, 400);
    assert.match(lp.json.message, /path traversal/);
  });

  test('the whiteout fixture mounts as an overlay with deleted files gone and opaque dirs emptied', async () => {
    const r = await b.docker(['load', '-i', fx('layered-oci.tar')]);
    assert.equal(r.code, 0, r.stderr);
    const img = (await b.request('GET', '/v1.41/images/berth-layered/json')).json;
    assert.equal(img.Id, `sha256:${ids.layered}`);
    const dirs: string[] = [img.GraphDriver.Data.UpperDir, ...img.GraphDriver.Data.LowerDir.split(':')];
    // The short links the engine would hand to mount, top layer first, relative to overlay/.
    const links = dirs.map((d) => `l/${readFileSync(join(d, '..', 'link'), 'utf8')}`);
    for (const [i, l] of links.entries()) assert.equal(statSync(join(b.root, 'overlay', l)).ino, statSync(dirs[i]).ino);
    const mnt = join(b.dir, 'mnt');
    mkdirSync(mnt);
    await mountOverlay({ lower: links.join(':'), target: mnt, cwd: join(b.root, 'overlay') });
    try {
      assert.equal(readFileSync(join(mnt, 'data/keep'), 'utf8'), 'keep\n');
      assert.ok(!existsSync(join(mnt, 'data/gone')), 'whiteout hides data/gone');
      assert.ok(!existsSync(join(mnt, 'etc/old.conf')), 'whiteout hides etc/old.conf');
      assert.ok(existsSync(join(mnt, 'etc/passwd')), 'siblings of a whiteout stay');
      assert.deepEqual(readdirSync(join(mnt, 'opq')), ['new'], 'opaque dir shows only its own layer');
      assert.equal(statSync(join(mnt, 'opq')).mode & 0o777, 0o750);
      assert.equal(statSync(join(mnt, 'data/hardlink')).ino, statSync(join(mnt, 'data/keep')).ino, 'hard link shares the inode');
      const dev = lstatSync(join(mnt, 'dev/berth-null'));
      assert.ok(dev.isCharacterDevice());
      assert.equal(dev.rdev, (1 << 8) | 3);
      assert.ok(lstatSync(join(mnt, 'data/fifo')).isFIFO());
      assert.equal(readFileSync(join(mnt, 'data/symlink'), 'utf8').split('\n')[0], 'root:x:0:0:root:/root:/bin/sh');
      const owned = statSync(join(mnt, 'owned'));
      assert.deepEqual([owned.uid, owned.gid, owned.mode & 0o777], [1000, 1000, 0o640]);
      assert.equal(getAttributeSync(join(mnt, 'xattr-file'), 'user.berth')?.toString(), 'yes');
      assert.equal(Math.floor(statSync(join(mnt, 'data/keep')).mtimeMs / 1000), 1700000000);
      const sh = await run(join(mnt, 'bin/busybox'), ['echo', 'busybox runs from the layer']);
      assert.equal(sh.stdout.trim(), 'busybox runs from the layer');
    } finally {
      await unmount(mnt);
    }
  });

  test('images and layers survive a service restart', async () => {
    const before = (await b.request('GET', '/v1.41/images/json')).json;
    assert.equal(before.length, 1);
    await b.stop();
    const again = await startBerth({ root: b.root, runRoot: b.runRoot });
    try {
      const list = (await again.request('GET', '/v1.41/images/json')).json;
      assert.deepEqual(list.map((i: { Id: string }) => i.Id), [`sha256:${ids.layered}`]);
      const r = await again.docker(['rmi', 'berth-layered']);
      assert.equal(r.code, 0, r.stderr);
      assert.deepEqual(readdirSync(join(again.root, 'overlay')), ['l']);
    } finally {
      await again.stop();
    }
  });
});
