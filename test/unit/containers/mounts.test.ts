import { test } from 'node:test';
import assert from 'node:assert/strict';
import { containerMounts, mountsOf, parseBind, parseMountEntry, parseTmpfs } from '../../../src/engine/containers/mounts.js';
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
  bad(() => parseBind('data:/b'), /named volumes are not supported yet/);
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
