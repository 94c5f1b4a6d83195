import { test } from 'node:test';
import assert from 'node:assert/strict';
import { containerMounts, mountsOf, parseBind, parseMountEntry, parseTmpfs, volumePathMounts, volumesFromMounts } from '../../../src/engine/containers/mounts.js';
import { EngineError } from '../../../src/engine/errors.js';

const bad = (fn: () => unknown, re: RegExp) =>
  assert.throws(fn, (e: unknown) => e instanceof EngineError && e.kind === 'bad-parameter' && re.test(e.message));

test('Binds: host path, destination, mode options', () => {
  assert.deepEqual(parseBind('/srv/data:/data'), { type: 'bind', source: '/srv/data', destination: '/data', readOnly: false, options: [], origin: 'binds', mode: '' });
  const m = parseBind('/a:/b/:ro,Z,rshared,nocopy');
  assert.equal(m.destination, '/b');
  assert.equal(m.readOnly, true);
  assert.equal(m.relabel, 'Z');
  assert.equal(m.propagation, 'rshared');
  assert.equal(m.noCopy, true);
  assert.equal(m.mode, 'ro,Z,rshared,nocopy');
  assert.equal(parseBind('/a:/b:delegated').readOnly, false);
});

test('Binds: what docker refuses is a bad parameter naming the problem', () => {
  bad(() => parseBind('/a'), /invalid volume specification/);
  bad(() => parseBind('/a:/b:ro:x'), /invalid volume specification/);
  bad(() => parseBind('./data:/b'), /"\.\/data" includes invalid characters for a local volume name/);
  bad(() => parseBind('a/b:/c'), /invalid characters for a local volume name/);
  bad(() => parseBind('a..b:/c'), /invalid characters/);
  bad(() => parseBind('/a:b'), /must be absolute/);
  bad(() => parseBind('/tmp:/'), /destination can't be '\/'/);
  bad(() => parseBind('/a:/b:rw,zz'), /unknown option 'zz'/);
  bad(() => parseBind('/a:/b:ro,rw'), /duplicate mode/);
  bad(() => parseBind(7 as unknown as string), /expected a string/);
});

test('Mounts: bind with propagation, tmpfs with size and mode; other types refused', () => {
  assert.deepEqual(parseMountEntry({ Type: 'bind', Source: '/s', Target: '/t', ReadOnly: true, BindOptions: { Propagation: 'rslave' } }), {
    type: 'bind', source: '/s', destination: '/t', readOnly: true, options: [], origin: 'mounts', propagation: 'rslave',
  });
  assert.deepEqual(parseMountEntry({ Type: 'tmpfs', Target: '/t', TmpfsOptions: { SizeBytes: 1 << 20, Mode: 0o1777 } }).options, ['size=1048576', 'mode=1777']);
  bad(() => parseMountEntry({ Type: 'bind', Source: 'rel', Target: '/t' }), /source must be an absolute path/);
  bad(() => parseMountEntry({ Type: 'bind', Source: '/s', Target: '/t', BindOptions: { Propagation: 'sideways' } }), /unknown propagation/);
  bad(() => parseMountEntry({ Type: 'tmpfs', Target: '/t', TmpfsOptions: { SizeBytes: -1 } }), /SizeBytes/);
  bad(() => parseMountEntry({ Type: 'npipe', Target: '/t' }), /not supported/);
});

test('Binds and Mounts name volumes: named, anonymous, with options; options of another type refused', () => {
  assert.deepEqual(parseBind('data:/d:ro,nocopy'), {
    type: 'volume', name: 'data', source: '', destination: '/d', readOnly: true, options: [], origin: 'binds', mode: 'ro,nocopy', noCopy: true,
  });
  const named = parseMountEntry({ Type: 'volume', Source: 'v1', Target: '/v', VolumeOptions: { NoCopy: true, Labels: { a: 'b' }, DriverConfig: { Name: 'local', Options: { type: 'tmpfs', device: 'tmpfs' } } } });
  assert.equal(named.name, 'v1');
  assert.equal(named.noCopy, true);
  assert.deepEqual(named.volumeOptions, { labels: { a: 'b' }, driver: 'local', driverOpts: { type: 'tmpfs', device: 'tmpfs' } });
  assert.equal(parseMountEntry({ Type: 'volume', Target: '/anon' }).name, '');
  bad(() => parseMountEntry({ Type: 'volume', Source: '../x', Target: '/v' }), /invalid characters/);
  bad(() => parseMountEntry({ Type: 'volume', Source: 'v', Target: 'rel' }), /must be absolute/);
  bad(() => parseMountEntry({ Type: 'volume', Source: 'v', Target: '/v', BindOptions: { Propagation: 'shared' } }), /field BindOptions must not be specified/);
  bad(() => parseMountEntry({ Type: 'bind', Source: '/s', Target: '/v', VolumeOptions: { NoCopy: true } }), /field VolumeOptions must not be specified/);
  bad(() => parseMountEntry({ Type: 'volume', Source: 'v', Target: '/v', VolumeOptions: { Labels: { a: 1 as unknown as string } } }), /Labels must be an object of strings/);
});

test('Config.Volumes paths become anonymous volumes (or tmpfs) where nothing else mounts', () => {
  const taken = new Set(['/taken']);
  const m = volumePathMounts(['/data/', '/taken', '/logs'], taken, 'anonymous');
  assert.deepEqual(m.map((x) => [x.type, x.destination, x.name, x.origin]), [['volume', '/data', '', 'volumes'], ['volume', '/logs', '', 'volumes']]);
  assert.deepEqual(volumePathMounts(['/t'], new Set(), 'tmpfs').map((x) => x.type), ['tmpfs']);
  assert.deepEqual(volumePathMounts(['/t'], new Set(), 'ignore'), []);
  bad(() => volumePathMounts(['rel'], new Set(), 'anonymous'), /must be absolute/);
});

test('VolumesFrom copies binds and volumes, never more writable; a missing container or bad mode is a bad parameter', () => {
  const theirs = [
    { type: 'volume', name: 'v', source: '/vol/v/_data', destination: '/v', readOnly: false, options: [], origin: 'binds', mode: 'z' },
    { type: 'bind', source: '/h', destination: '/h', readOnly: true, options: [], origin: 'binds', mode: 'ro' },
    { type: 'tmpfs', source: '', destination: '/t', readOnly: false, options: [], origin: 'tmpfs' },
  ] as const;
  const lookup = (r: string) => (r === 'src' ? theirs.map((x) => ({ ...x, options: [] })) : undefined);
  const got = volumesFromMounts(['src:rw'], lookup);
  assert.deepEqual(got.map((m) => [m.type, m.destination, m.readOnly, m.origin]), [['volume', '/v', false, 'volumes'], ['bind', '/h', true, 'volumes']]);
  assert.ok(volumesFromMounts(['src:ro'], lookup).every((m) => m.readOnly));
  bad(() => volumesFromMounts(['nope'], lookup), /No such container: nope/);
  bad(() => volumesFromMounts(['src:rx'], lookup), /invalid mode/);
  bad(() => volumesFromMounts('src' as unknown as string[], lookup), /must be an array/);
});

test('Tmpfs map and the whole HostConfig: duplicates and wrong types refused', () => {
  assert.deepEqual(parseTmpfs('/run', 'size=64m,ro'), { type: 'tmpfs', source: '', destination: '/run', readOnly: true, options: ['size=64m', 'ro'], origin: 'tmpfs' });
  const all = mountsOf({ Binds: ['/a:/x'], Mounts: [{ Type: 'tmpfs', Target: '/y' }], Tmpfs: { '/z': '' } });
  assert.deepEqual(all.map((m) => [m.type, m.destination, m.origin]), [['bind', '/x', 'binds'], ['tmpfs', '/y', 'mounts'], ['tmpfs', '/z', 'tmpfs']]);
  bad(() => mountsOf({ Binds: ['/a:/x'], Tmpfs: { '/x/': '' } }), /Duplicate mount point: \/x/);
  bad(() => mountsOf({ Binds: '/a:/x' as unknown as string[] }), /Binds must be an array/);
  bad(() => mountsOf({ Binds: null, Tmpfs: { '/x': 5 as unknown as string } }), /expected a string/);
});

test('containers stored before the model get their mounts derived from HostConfig', () => {
  const spec = { HostConfig: { Binds: ['/h:/c:ro'], Tmpfs: { '/t': 'size=1m' } } } as unknown as Parameters<typeof containerMounts>[0];
  assert.deepEqual(containerMounts(spec).map((m) => [m.type, m.source, m.destination, m.readOnly]), [['bind', '/h', '/c', true], ['tmpfs', '', '/t', false]]);
});
