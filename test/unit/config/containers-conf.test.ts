import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { confFiles, loadContainersConf } from '../../../src/config/containers-conf.js';
import { IdleTracker } from '../../../src/server/idle.js';

test('containers.conf search order ends with the user file; CONTAINERS_CONF replaces all', () => {
  const files = confFiles({ HOME: '/home/u' });
  assert.equal(files[0], '/usr/share/containers/containers.conf');
  assert.ok(files.indexOf('/etc/containers/containers.conf') > 0);
  assert.equal(files.at(-1), '/home/u/.config/containers/containers.conf');
  assert.deepEqual(confFiles({ CONTAINERS_CONF: '/x.conf', HOME: '/home/u' }), ['/x.conf']);
});

test('later files override earlier keys, drop-ins sorted', async () => {
  const home = mkdtempSync(join(tmpdir(), 'conf-'));
  const dir = join(home, '.config', 'containers');
  mkdirSync(join(dir, 'containers.conf.d'), { recursive: true });
  writeFileSync(join(dir, 'containers.conf'), '[engine]\nservice_timeout = 7\nruntime = "crun"\n');
  writeFileSync(join(dir, 'containers.conf.d', '10-a.conf'), '[engine]\nservice_timeout = 9\n');
  const c = await loadContainersConf({ HOME: home, XDG_CONFIG_HOME: '' });
  assert.equal(c.engine.service_timeout, 9);
  assert.equal(c.engine.runtime, 'crun');
  writeFileSync(join(dir, 'containers.conf.d', '20-b.conf'), '[engine]\nservice_timeout = -1\n');
  await assert.rejects(loadContainersConf({ HOME: home }), /service_timeout/);
  writeFileSync(join(dir, 'containers.conf.d', '20-b.conf'), '[engine\n');
  await assert.rejects(loadContainersConf({ HOME: home }), /20-b\.conf/);
  rmSync(home, { recursive: true, force: true });
});

test('comment lines are comments, a multi-line string keeps its lines that start with #', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'conf-'));
  const f = join(dir, 'containers.conf');
  writeFileSync(f, '# top\n[engine]\n  # indented\nservice_timeout = 7 # trailing\n\t#\ttab\nruntime = "crun"\n');
  let c = await loadContainersConf({ CONTAINERS_CONF: f });
  assert.equal(c.engine.service_timeout, 7);
  assert.equal(c.engine.runtime, 'crun');
  writeFileSync(f, "[engine]\nruntime = '''\n# kept\ncrun'''\n# gone\n");
  c = await loadContainersConf({ CONTAINERS_CONF: f });
  assert.equal(c.engine.runtime, '# kept\ncrun');
  writeFileSync(f, '[engine]\n# a comment\nservice_timeout = [\n');
  await assert.rejects(loadContainersConf({ CONTAINERS_CONF: f }), /\n3: +service_timeout = \[/, 'line numbers stay');
  rmSync(dir, { recursive: true, force: true });
});

test('idle tracker fires only when nothing is active, and restarts its countdown', async () => {
  let fired = 0;
  const t = new IdleTracker(60, () => fired++);
  t.enter();
  await new Promise((r) => setTimeout(r, 100));
  assert.equal(fired, 0, 'not while a request is active');
  t.leave();
  await new Promise((r) => setTimeout(r, 30));
  t.touch();
  await new Promise((r) => setTimeout(r, 40));
  assert.equal(fired, 0, 'touch restarted the countdown');
  await new Promise((r) => setTimeout(r, 60));
  assert.equal(fired, 1);
  t.stop();
  const never = new IdleTracker(0, () => fired++);
  await new Promise((r) => setTimeout(r, 30));
  assert.equal(fired, 1, '0 never fires');
  never.stop();
});
