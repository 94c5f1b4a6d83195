import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describePeer, peerOf } from '../../../src/server/access/peer.js';

test('a unix peer is the connecting process: its uid, gid and pid (SO_PEERCRED), read once per connection', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'berth-peer-'));
  const path = join(dir, 's.sock');
  const got = new Promise<net.Socket>((resolve) => {
    const srv = net.createServer((c) => {
      resolve(c);
      srv.close();
    });
    srv.listen(path, () => net.connect(path));
  });
  const c = await got;
  const p = peerOf(c);
  assert.deepEqual(p, { transport: 'unix', uid: process.getuid!(), gid: process.getgid!(), pid: process.pid });
  assert.equal(peerOf(c), p, 'cached on the connection');
  assert.equal(describePeer(p), `uid ${process.getuid!()} gid ${process.getgid!()} pid ${process.pid}`);
  c.destroy();
  rmSync(dir, { recursive: true, force: true });
});

test('a plain tcp peer has only an address', async () => {
  const got = new Promise<net.Socket>((resolve) => {
    const srv = net.createServer((c) => {
      resolve(c);
      srv.close();
    });
    srv.listen(0, '127.0.0.1', () => net.connect((srv.address() as net.AddressInfo).port, '127.0.0.1'));
  });
  const c = await got;
  assert.deepEqual(peerOf(c), { transport: 'tcp', address: '127.0.0.1' });
  c.destroy();
});
