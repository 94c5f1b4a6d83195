import { test } from 'node:test';
import assert from 'node:assert/strict';
import { defaultEndpoint, parseEndpoint, UriError } from '../../../src/server/uri.js';
import { systemdActivation, ListenError } from '../../../src/server/listener.js';

test('unix and tcp endpoints parse', () => {
  assert.deepEqual(parseEndpoint('unix:///run/x.sock'), { kind: 'unix', path: '/run/x.sock', uri: 'unix:///run/x.sock' });
  assert.deepEqual(parseEndpoint('tcp://127.0.0.1:8080'), { kind: 'tcp', host: '127.0.0.1', port: 8080, uri: 'tcp://127.0.0.1:8080' });
  assert.deepEqual(parseEndpoint('tcp://localhost:1'), { kind: 'tcp', host: 'localhost', port: 1, uri: 'tcp://localhost:1' });
  assert.deepEqual(parseEndpoint('tcp://[::1]:2375'), { kind: 'tcp', host: '::1', port: 2375, uri: 'tcp://[::1]:2375' });
  assert.equal(parseEndpoint('TCP://0.0.0.0:80').kind, 'tcp');
});

test('everything else is refused with a reason', () => {
  const cases: [string, RegExp][] = [
    ['http://localhost:80', /scheme "http"/],
    ['ssh://u@h/run/x.sock', /scheme "ssh"/],
    ['tcp://localhost', /host and a port/],
    ['tcp://:8080', /host and a port/],
    ['tcp://h:70000', /out of range/],
    ['unix://rel/x.sock', /absolute/],
    ['unix://', /absolute/],
    ['/abs/no/scheme', /expected unix/],
    ['', /expected unix/],
  ];
  for (const [uri, re] of cases) assert.throws(() => parseEndpoint(uri), (e: Error) => e instanceof UriError && re.test(e.message), uri);
});

test('default endpoints: root and rootless', () => {
  assert.equal(defaultEndpoint(false, {}).uri, 'unix:///run/berth/berth.sock');
  assert.equal(defaultEndpoint(true, { XDG_RUNTIME_DIR: '/run/user/1000' }).uri, 'unix:///run/user/1000/berth/berth.sock');
  assert.throws(() => defaultEndpoint(true, {}), /XDG_RUNTIME_DIR/);
});

test('systemd activation: only for this pid, one fd, variables cleared', () => {
  const env: NodeJS.ProcessEnv = { LISTEN_PID: String(process.pid), LISTEN_FDS: '1', LISTEN_FDNAMES: 'x' };
  assert.deepEqual(systemdActivation(env), { kind: 'systemd', fd: 3 });
  assert.deepEqual(env, {}, 'LISTEN_* removed so children do not inherit them');

  const other: NodeJS.ProcessEnv = { LISTEN_PID: String(process.pid + 1), LISTEN_FDS: '1' };
  assert.equal(systemdActivation(other), undefined);
  assert.equal(other.LISTEN_PID, undefined);

  assert.throws(() => systemdActivation({ LISTEN_PID: String(process.pid), LISTEN_FDS: '2' }), (e: Error) => e instanceof ListenError && /only one listening socket is supported/.test(e.message));
  assert.equal(systemdActivation({}), undefined);
});
