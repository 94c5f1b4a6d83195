import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, lstatSync, readlinkSync, rmSync, existsSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { execFileSync } from 'node:child_process';
import { getAttributeSync } from '@napi-rs/xattr';
import tar from 'tar-stream';
import { chainIds, sha256Digest } from '../../../src/storage/digest.js';
import { classifyWhiteout, safeEntryPath, UnsafeEntryError, whiteoutEntryName, opaqueEntryName } from '../../../src/storage/tar-paths.js';
import { ByteSource, TarReader, parseNumeric } from '../../../src/storage/tar-reader.js';
import { detectCompression } from '../../../src/storage/compression.js';
import { unpackLayer } from '../../../src/storage/unpack.js';
import { assembleLayer } from '../../../src/storage/tar-split.js';
import { diffTar } from '../../../src/storage/diff-tar.js';

type E = { name: string; type?: 'file' | 'directory' | 'symlink' | 'link' | 'character-device'; data?: string; linkname?: string; mode?: number; uid?: number; pax?: Record<string, string> };

function packTar(entries: E[]): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const p = tar.pack();
    const chunks: Buffer[] = [];
    p.on('data', (c: unknown) => chunks.push(c as Buffer));
    p.on('end', () => resolve(Buffer.concat(chunks)));
    p.on('error', reject);
    for (const e of entries) {
      const type = e.type ?? 'file';
      const hdr = { name: e.name, type, mode: e.mode ?? 0o644, uid: e.uid ?? 0, gid: 0, mtime: new Date(1_600_000_000_000), linkname: e.linkname, pax: e.pax };
      if (type === 'file') p.entry(hdr, Buffer.from(e.data ?? ''));
      else p.entry(hdr);
    }
    p.finalize();
  });
}

function zstdRaw(buf: Buffer): Buffer {
  const h = (buf.length << 3) | 1;
  return Buffer.concat([Buffer.from([0x28, 0xb5, 0x2f, 0xfd, 0x00, 0x38]), Buffer.from([h & 0xff, (h >> 8) & 0xff, (h >> 16) & 0xff]), buf]);
}

async function* chunks(b: Buffer, size = 777): AsyncGenerator<Buffer> {
  for (let i = 0; i < b.length; i += size) yield b.subarray(i, i + size);
}

const sha = (b: Buffer) => 'sha256:' + createHash('sha256').update(b).digest('hex');

test('chain IDs follow the OCI image spec', () => {
  const a = 'sha256:' + 'a'.repeat(64);
  const b = 'sha256:' + 'b'.repeat(64);
  const c = 'sha256:' + 'c'.repeat(64);
  const ids = chainIds([a, b, c]);
  assert.equal(ids[0], a);
  assert.equal(ids[1], sha256Digest(`${a} ${b}`));
  assert.equal(ids[2], sha256Digest(`${ids[1]} ${c}`));
  assert.deepEqual(chainIds([]), []);
});

test('entry names: traversal and absolute paths are refused, ./ is stripped', () => {
  assert.equal(safeEntryPath('./etc/passwd'), 'etc/passwd');
  assert.equal(safeEntryPath('etc//x/./y/'), 'etc/x/y');
  assert.equal(safeEntryPath('./'), '');
  assert.throws(() => safeEntryPath('../x'), UnsafeEntryError);
  assert.throws(() => safeEntryPath('a/../../x'), /path traversal/);
  assert.throws(() => safeEntryPath('/etc/passwd'), /absolute path/);
});

test('whiteouts map to overlay whiteouts and back', () => {
  assert.deepEqual(classifyWhiteout('etc/.wh.old.conf'), { kind: 'whiteout', path: 'etc/old.conf' });
  assert.deepEqual(classifyWhiteout('.wh.top'), { kind: 'whiteout', path: 'top' });
  assert.deepEqual(classifyWhiteout('opq/.wh..wh..opq'), { kind: 'opaque', dir: 'opq' });
  assert.deepEqual(classifyWhiteout('.wh..wh..opq'), { kind: 'opaque', dir: '' });
  assert.deepEqual(classifyWhiteout('x/.wh..wh.plnk'), { kind: 'aufs-meta' });
  assert.deepEqual(classifyWhiteout('x/.whatever'), { kind: 'none' });
  assert.equal(whiteoutEntryName('etc/old.conf'), 'etc/.wh.old.conf');
  assert.equal(opaqueEntryName('opq'), 'opq/.wh..wh..opq');
});

test('compression is detected by magic bytes', () => {
  assert.equal(detectCompression(gzipSync(Buffer.from('x'))), 'gzip');
  assert.equal(detectCompression(zstdRaw(Buffer.from('x'))), 'zstd');
  assert.equal(detectCompression(Buffer.from('BZh91AY')), 'bzip2');
  assert.equal(detectCompression(Buffer.alloc(512)), 'none');
});

test('tar reader: long names, pax records, base-256 numbers, truncation', async () => {
  const long = 'd/' + 'n'.repeat(150) + '/file';
  const t = await packTar([{ name: long, data: 'hello', pax: { 'SCHILY.xattr.user.k': 'v' } }]);
  const raw: Buffer[] = [];
  const r = new TarReader(new ByteSource(chunks(t, 100)), (b) => raw.push(b));
  const h = await r.next();
  assert.equal(h?.name, long);
  assert.equal(h?.xattrs['user.k'].toString(), 'v');
  let body = '';
  for await (const c of r.body()) body += c.toString();
  assert.equal(body, 'hello');
  assert.equal(await r.next(), null);
  assert.equal(Buffer.concat(raw).length + 5, t.length, 'every byte but the body goes to onRaw');
  const b256 = Buffer.alloc(12);
  b256[0] = 0x80;
  b256.writeUInt32BE(0x12345678, 8);
  assert.equal(parseNumeric(b256, 0, 12), 0x12345678);
  const cut = new TarReader(new ByteSource(chunks(t.subarray(0, t.length - 1500))));
  await assert.rejects(async () => {
    for (let x = await cut.next(); x; x = await cut.next());
  }, /truncated/);
});

test('unpacking converts whiteouts, keeps metadata, and re-assembles byte for byte', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'berth-unpack-'));
  try {
    const layer = await packTar([
      { name: 'dir/', type: 'directory', mode: 0o750 },
      { name: 'dir/a', data: 'first version' },
      { name: 'dir/hl', type: 'link', linkname: 'dir/a' },
      { name: 'dir/a', data: 'second' }, // rewritten later in the same layer
      { name: 'dir/.wh.gone', data: '' },
      { name: 'opq/.wh..wh..opq', data: '' },
      { name: 'owned', data: 'x', uid: 1000, mode: 0o4755 },
      { name: 'ln', type: 'symlink', linkname: '/etc/passwd' },
      { name: 'x', data: 'xa', pax: { 'SCHILY.xattr.user.berth': 'yes' } },
    ]);
    for (const [kind, blob] of [['plain', layer], ['gzip', gzipSync(layer)], ['zstd', zstdRaw(layer)]] as const) {
      const dest = join(dir, kind);
      mkdirSync(dest);
      const split = join(dir, `${kind}.split`);
      const r = await unpackLayer(chunks(blob), dest, split);
      assert.equal(r.diffId, sha(layer), kind);
      assert.equal(r.compression, kind === 'plain' ? 'none' : kind);
      assert.equal(r.tarSize, layer.length);
      assert.equal(readFileSync(join(dest, 'dir/a'), 'utf8'), 'second');
      assert.equal(readFileSync(join(dest, 'dir/hl'), 'utf8'), 'first version', 'the hard link keeps the old inode');
      const wh = lstatSync(join(dest, 'dir/gone'));
      assert.ok(wh.isCharacterDevice() && wh.rdev === 0, 'whiteout is a 0:0 char device');
      assert.equal(getAttributeSync(join(dest, 'opq'), 'trusted.overlay.opaque')?.toString(), 'y');
      assert.equal(lstatSync(join(dest, 'dir')).mode & 0o7777, 0o750);
      const owned = lstatSync(join(dest, 'owned'));
      assert.equal(owned.uid, 1000);
      assert.equal(owned.mode & 0o7777, 0o4755, 'set-uid survives chown');
      assert.equal(Math.floor(owned.mtimeMs / 1000), 1_600_000_000);
      assert.equal(readlinkSync(join(dest, 'ln')), '/etc/passwd');
      assert.equal(getAttributeSync(join(dest, 'x'), 'user.berth')?.toString(), 'yes');
      const back: Buffer[] = [];
      for await (const c of assembleLayer(split, dest)) back.push(c);
      assert.equal(sha(Buffer.concat(back)), r.diffId, `${kind}: re-assembled tar hashes to the diff ID`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('unsafe layers are refused before anything lands outside', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'berth-unsafe-'));
  try {
    const cases: [E[], RegExp][] = [
      [[{ name: '../escape', data: 'x' }], /path traversal/],
      [[{ name: '/abs', data: 'x' }], /absolute path/],
      [[{ name: 'l', type: 'symlink', linkname: dir }, { name: 'l/pwned', data: 'x' }], /through symlink/],
      [[{ name: 'l', type: 'symlink', linkname: '..' }, { name: 'h', type: 'link', linkname: 'l/x' }], /through symlink/],
      [[{ name: 'h', type: 'link', linkname: '../../etc/passwd' }], /path traversal/],
      [[{ name: 'h', type: 'link', linkname: 'missing' }], /not in the layer/],
    ];
    let i = 0;
    for (const [entries, re] of cases) {
      const dest = join(dir, `c${i++}`);
      mkdirSync(dest);
      await assert.rejects(unpackLayer(chunks(await packTar(entries)), dest, join(dir, `s${i}`)), re);
    }
    assert.ok(!existsSync(join(dir, 'pwned')));
    assert.ok(!existsSync(join(dir, 'escape')));
    await assert.rejects(unpackLayer(chunks(await packTar([{ name: 'f', data: 'x' }])), join(dir, 'c0'), join(dir, 'sd'), { expectDiffId: 'sha256:' + '0'.repeat(64) }), /does not match/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('an overlay upper dir exports as an OCI layer that unpacks to the same tree', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'berth-difftar-'));
  try {
    const layer = await packTar([
      { name: 'keep', data: 'k', uid: 1000, mode: 0o640 },
      { name: 'hl', type: 'link', linkname: 'keep' },
      { name: 'd/.wh.gone', data: '' },
      { name: 'opq/.wh..wh..opq', data: '' },
      { name: 'opq/new', data: 'n' },
      { name: 's', type: 'symlink', linkname: 'keep' },
      { name: 'x', data: 'x', pax: { 'SCHILY.xattr.user.k': 'v' } },
    ]);
    const upper = join(dir, 'upper');
    mkdirSync(upper);
    await unpackLayer(chunks(layer), upper, join(dir, 's1'));
    const out: Buffer[] = [];
    for await (const c of diffTar(upper)) out.push(c);
    const exported = Buffer.concat(out);
    const names: string[] = [];
    const r = new TarReader(new ByteSource(chunks(exported)));
    for (let h = await r.next(); h; h = await r.next()) names.push(`${h.type}:${h.name}${h.linkname ? '->' + h.linkname : ''}`);
    assert.ok(names.includes('file:d/.wh.gone'), names.join(' '));
    assert.ok(names.includes('file:opq/.wh..wh..opq'), names.join(' '));
    assert.ok(names.includes('link:keep->hl') || names.includes('link:hl->keep'), names.join(' '));
    const again = join(dir, 'again');
    mkdirSync(again);
    await unpackLayer(chunks(exported), again, join(dir, 's2'));
    assert.ok(lstatSync(join(again, 'd/gone')).isCharacterDevice());
    assert.equal(getAttributeSync(join(again, 'opq'), 'trusted.overlay.opaque')?.toString(), 'y');
    assert.equal(lstatSync(join(again, 'hl')).ino, lstatSync(join(again, 'keep')).ino);
    assert.equal(lstatSync(join(again, 'keep')).uid, 1000);
    assert.equal(readlinkSync(join(again, 's')), 'keep');
    assert.equal(getAttributeSync(join(again, 'x'), 'user.k')?.toString(), 'v');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('an empty upload is not a layer', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'berth-empty-'));
  try {
    await assert.rejects(unpackLayer(chunks(Buffer.alloc(0)), dir, join(dir, '.split')), /empty input/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('layers compressed by the zstd tool unpack too', { skip: !existsSync('/usr/bin/zstd') && 'zstd is not installed' }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'berth-zstd-'));
  try {
    const layer = await packTar([{ name: 'big', data: 'berth '.repeat(100_000) }, { name: 'small', data: 'x' }]);
    const z = execFileSync('/usr/bin/zstd', ['-q', '-c', '-19'], { input: layer });
    assert.ok(z.length < layer.length / 10, 'really compressed');
    const dest = join(dir, 'd');
    mkdirSync(dest);
    const r = await unpackLayer(chunks(z, 4096), dest, join(dir, 's'));
    assert.equal(r.compression, 'zstd');
    assert.equal(r.diffId, sha(layer));
    assert.equal(readFileSync(join(dest, 'big'), 'utf8').length, 600_000);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
