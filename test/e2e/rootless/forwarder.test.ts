// The port forwarder of rootless user networks as a real process: host sockets bound by the
// caller and handed over as fds, tcp and udp relayed both ways, a taken port refused, and the
// process gone once the namespace it watches is unbound (here: a file) or it is stopped.
// It runs in this test's own network namespace (nsenter into /proc/self/ns/net is a no-op).
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ownerAlive } from '../../../src/lib/owner.js';
import { startForwarder } from '../../../src/network/rootless/forwarder.js';
import { stopHelper } from '../../../src/network/rootless/process.js';
import { BERTH_BIN, waitFor } from '../../helpers/berth.js';

const dir = mkdtempSync(join(tmpdir(), 'berth-rlnet-fwd-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function tcpEcho(): Promise<{ port: number; close(): void }> {
  const srv = createServer((s) => s.on('data', (d) => s.write(`echo:${d}`)).on('end', () => s.end()));
  return new Promise((resolve) => srv.listen(0, '127.0.0.1', () => resolve({ port: (srv.address() as { port: number }).port, close: () => srv.close() })));
}

function udpEcho(): Promise<{ port: number; close(): void }> {
  const s = createSocket('udp4');
  s.on('message', (m, r) => s.send(`echo:${m}`, r.port, r.address));
  return new Promise((resolve) => s.bind(0, '127.0.0.1', () => resolve({ port: s.address().port, close: () => s.close() })));
}

async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const p = (srv.address() as { port: number }).port;
  await new Promise((r) => srv.close(r));
  return p;
}

function tcpAsk(port: number, text: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const c = connect(port, '127.0.0.1');
    let out = '';
    c.on('connect', () => c.end(text));
    c.on('data', (d) => (out += d));
    c.on('end', () => resolve(out));
    c.on('error', reject);
  });
}

function udpAsk(port: number, text: string): Promise<string> {
  const s = createSocket('udp4');
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => {
      s.close();
      reject(new Error('no udp answer'));
    }, 5_000);
    s.on('message', (m) => {
      clearTimeout(t);
      s.close();
      resolve(m.toString());
    });
    s.send(text, port, '127.0.0.1');
  });
}

test('tcp and udp are forwarded to the target; the forwarder ends when its namespace is gone', async () => {
  const [te, ue] = [await tcpEcho(), await udpEcho()];
  const [tp, up] = [await freePort(), await freePort()];
  const watch = join(dir, 'netns-a');
  writeFileSync(watch, '');
  const h = await startForwarder({
    nsenter: 'nsenter',
    rootlessNetns: '/proc/self/ns/net',
    containerNetns: watch,
    self: [process.execPath, BERTH_BIN],
    ports: [
      { hostIp: '127.0.0.1', hostPort: tp, containerPort: te.port, protocol: 'tcp' },
      { hostIp: '127.0.0.1', hostPort: up, containerPort: ue.port, protocol: 'udp' },
    ],
    target: '127.0.0.1',
    logFile: join(dir, 'a.log'),
  });
  try {
    assert.equal(h.kind, 'forwarder');
    assert.equal(await tcpAsk(tp, 'hello'), 'echo:hello');
    assert.equal(await tcpAsk(tp, 'again'), 'echo:again');
    assert.equal(await udpAsk(up, 'ping'), 'echo:ping');
    // The host port is held by the forwarder: a second bind is refused with the reason.
    await assert.rejects(
      startForwarder({ nsenter: 'nsenter', rootlessNetns: '/proc/self/ns/net', containerNetns: watch, self: [process.execPath, BERTH_BIN], ports: [{ hostIp: '127.0.0.1', hostPort: tp, containerPort: 1, protocol: 'tcp' }], target: '127.0.0.1', logFile: join(dir, 'b.log') }),
      /cannot bind 127\.0\.0\.1:\d+\/tcp: address already in use/,
    );
    rmSync(watch);
    assert.ok(await waitFor(() => !ownerAlive(h.token), 10_000), 'ended once its namespace was unbound');
  } finally {
    await stopHelper(h);
    te.close();
    ue.close();
  }
});

test('stopping the forwarder frees its host port at once', async () => {
  const te = await tcpEcho();
  const tp = await freePort();
  const watch = join(dir, 'netns-b');
  writeFileSync(watch, '');
  const h = await startForwarder({ nsenter: 'nsenter', rootlessNetns: '/proc/self/ns/net', containerNetns: watch, self: [process.execPath, BERTH_BIN], ports: [{ hostIp: '127.0.0.1', hostPort: tp, containerPort: te.port, protocol: 'tcp' }], target: '127.0.0.1', logFile: join(dir, 'c.log') });
  try {
    assert.equal(await tcpAsk(tp, 'x'), 'echo:x');
    await stopHelper(h);
    assert.ok(!ownerAlive(h.token));
    // Refused, or reset if the connect raced the close: never answered.
    await assert.rejects(tcpAsk(tp, 'y'), /ECONNREFUSED|ECONNRESET/);
  } finally {
    await stopHelper(h);
    te.close();
  }
});
