// One runtime choice for /info and for containers, honouring containers.conf `runtime` and
// `[engine.runtimes]`; a configured runtime that cannot work is a clear error.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startBerth, FIXTURES } from '../../helpers/berth.js';
import { findBinary } from '../../../src/oci/binaries.js';

test('containers.conf runtime with its path under [engine.runtimes] runs containers; /info reports it', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'berth-rtconf-'));
  const wrapper = join(dir, 'my-runc');
  // A wrapper that leaves a trace, so the test sees the configured path was the one used.
  writeFileSync(wrapper, `#!/bin/sh\ntouch ${dir}/used\nexec ${findBinary('runc')} "$@"\n`);
  chmodSync(wrapper, 0o755);
  const conf = join(dir, 'containers.conf');
  writeFileSync(conf, `[engine]\nruntime = "myrunc"\n[engine.runtimes]\nmyrunc = ["/nonexistent/myrunc", "${wrapper}"]\n`);
  const b = await startBerth({ env: { CONTAINERS_CONF: conf } });
  try {
    const info = (await b.request('GET', '/v1.41/info')).json;
    assert.equal(info.DefaultRuntime, 'myrunc');
    assert.equal(info.Runtimes.myrunc.path, wrapper);
    await b.dockerOk(['load', '-i', join(FIXTURES, 'busybox-legacy.tar')]);
    assert.equal(await b.dockerOk(['run', '--rm', '--network', 'none', 'busybox', 'echo', 'via-wrapper']), 'via-wrapper\n');
    assert.ok((await import('node:fs')).existsSync(join(dir, 'used')), 'the configured runtime path ran the container');
    const libpod = (await b.request('GET', '/v5.4.2/libpod/info')).json;
    assert.equal(libpod.host.ociRuntime.name, 'myrunc');
  } finally {
    await b.cleanup();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a configured runtime that is missing fails container start with its name; the rest still answers', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'berth-rtconf-'));
  const conf = join(dir, 'containers.conf');
  writeFileSync(conf, '[engine]\nruntime = "nosuch-runtime"\n');
  const b = await startBerth({ env: { CONTAINERS_CONF: conf } });
  try {
    await b.dockerOk(['load', '-i', join(FIXTURES, 'busybox-legacy.tar')]);
    const r = await b.docker(['run', '--rm', '--network', 'none', 'busybox', 'true']);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /OCI runtime "nosuch-runtime" \(containers.conf runtime\) not found/);
    assert.equal((await b.request('GET', '/v1.41/containers/json?all=1')).status, 200);
    assert.equal((await b.request('GET', '/v1.41/info')).json.DefaultRuntime, 'nosuch-runtime');
  } finally {
    await b.docker(['rm', '-f', ...(await b.docker(['ps', '-aq'])).stdout.split('\n').filter(Boolean)]);
    await b.cleanup();
    rmSync(dir, { recursive: true, force: true });
  }
});
