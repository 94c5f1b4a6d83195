import { test } from 'node:test';
import assert from 'node:assert/strict';
import { applyChanges, splitWords } from '../../../src/engine/images/changes.js';
import { EngineError } from '../../../src/engine/errors.js';

test('import/commit changes set the config fields docker sets', () => {
  const c = applyChanges({ Env: ['PATH=/bin'] }, [
    'CMD ["sh", "-c", "echo hi"]',
    'ENTRYPOINT /bin/run --flag',
    'ENV FOO=bar BAZ="q x"',
    'ENV PATH /usr/bin:/bin',
    'WORKDIR /srv',
    'WORKDIR app',
    'EXPOSE 8080 53/udp',
    'LABEL a=b "c d"=e',
    'USER 1000:1000',
    'VOLUME ["/data", "/logs"]',
    'STOPSIGNAL SIGKILL',
    'HEALTHCHECK CMD ["true"]',
  ]);
  assert.deepEqual(c.Cmd, ['sh', '-c', 'echo hi']);
  assert.deepEqual(c.Entrypoint, ['/bin/sh', '-c', '/bin/run --flag']);
  assert.deepEqual(c.Env, ['PATH=/usr/bin:/bin', 'FOO=bar', 'BAZ=q x']);
  assert.equal(c.WorkingDir, '/srv/app');
  assert.deepEqual(c.ExposedPorts, { '8080/tcp': {}, '53/udp': {} });
  assert.deepEqual(c.Labels, { a: 'b', 'c d': 'e' });
  assert.equal(c.User, '1000:1000');
  assert.deepEqual(c.Volumes, { '/data': {}, '/logs': {} });
  assert.equal(c.StopSignal, 'SIGKILL');
  assert.deepEqual(c.Healthcheck, { Test: ['CMD', 'true'] });
});

test('unknown instructions and bad ports are bad parameters', () => {
  for (const bad of ['RUN echo', 'FROM busybox', 'EXPOSE http']) {
    assert.throws(() => applyChanges({}, [bad]), (e: unknown) => e instanceof EngineError && e.kind === 'bad-parameter');
  }
});

test('words honour quotes and escapes', () => {
  assert.deepEqual(splitWords(`a=b "c d"=e f='g h' i\\ j`), ['a=b', 'c d=e', 'f=g h', 'i j']);
});
