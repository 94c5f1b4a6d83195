import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, existsSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { auditedRequest, FileAudit, type AuditEntry } from '../../../src/server/access/audit.js';
import { fromContainerCreate, fromExecCreate } from '../../../src/server/access/request.js';

test('audited requests keep what was asked for, and env names, never values', () => {
  const g = fromContainerCreate({
    config: { Image: 'busybox', Cmd: ['sh', '-c', 'true'], Env: ['TOKEN=s3cr3t', 'PLAIN=x', 'EMPTY='] },
    hostConfig: { Privileged: true, Binds: ['/srv:/srv', 'vol:/v'], CapAdd: ['NET_ADMIN'], NetworkMode: 'host' },
    flavor: 'docker',
  });
  const a = auditedRequest(g);
  const text = JSON.stringify(a);
  assert.ok(!text.includes('s3cr3t') && !text.includes('"x"'), text);
  assert.deepEqual(a.envNames, ['TOKEN', 'PLAIN', 'EMPTY']);
  assert.equal(a.image, 'busybox');
  assert.deepEqual(a.command, ['sh', '-c', 'true']);
  assert.equal(a.privileged, true);
  assert.deepEqual(a.hostPaths, ['/srv']);
  assert.deepEqual(a.capAdd, ['NET_ADMIN']);
  assert.deepEqual(a.namespaces, { network: 'host' });
  const e = auditedRequest(fromExecCreate({ Cmd: ['id'], Env: ['PASSWORD=hunter2'], User: 'nobody' }));
  assert.ok(!JSON.stringify(e).includes('hunter2'));
  assert.deepEqual(e.envNames, ['PASSWORD']);
  assert.equal(e.user, 'nobody');
  assert.equal(e.hostPaths, undefined, 'empty lists are left out');
});

test('the file log appends JSON lines, mode 0600, and rotates by size', () => {
  const dir = mkdtempSync(join(tmpdir(), 'berth-audit-'));
  const file = join(dir, 'audit.log');
  const log = new FileAudit(file, 400);
  const entry = (i: number): AuditEntry => ({ time: new Date(0).toISOString(), peer: { transport: 'unix', uid: i, gid: 0, pid: 1 }, method: 'GET', path: `/containers/${i}/json`, layer: 'compat', status: 200, ms: 1 });
  for (let i = 0; i < 20; i++) log.write(entry(i));
  log.close();
  log.write(entry(99)); // after close: dropped, not a crash
  assert.equal(statSync(file).mode & 0o777, 0o600);
  const lines = readFileSync(file, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  assert.ok(lines.length >= 1 && statSync(file).size <= 400);
  assert.equal(lines.at(-1).peer.uid, 19);
  assert.ok(existsSync(`${file}.1`) && existsSync(`${file}.5`) && !existsSync(`${file}.6`));
  const prev = readFileSync(`${file}.1`, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  assert.equal(prev.at(-1).peer.uid, lines[0].peer.uid - 1, 'rotation loses no line in between');
});
