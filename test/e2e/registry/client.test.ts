// The registry client against small servers of this test on loopback: blob redirects to another
// origin are followed without the registry's credentials, a token is asked once per scope set,
// and a server that never answers times out.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { RegistryClient, readBody, RegistryError } from '../../../src/registry/index.js';

function serve(handler: http.RequestListener): Promise<{ url: string; host: string; close: () => Promise<void> }> {
  const s = http.createServer(handler);
  return new Promise((resolve) =>
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as AddressInfo;
      resolve({ url: `http://127.0.0.1:${port}`, host: `127.0.0.1:${port}`, close: () => new Promise((r) => { s.closeAllConnections(); s.close(() => r()); }) });
    }),
  );
}

test('blob redirects: followed to storage elsewhere, credentials stay with the registry', async () => {
  const seen: { path: string; auth?: string }[] = [];
  const storage = await serve((req, res) => {
    seen.push({ path: req.url!, auth: req.headers.authorization });
    res.end('blob-bytes');
  });
  let tokens = 0;
  const reg = await serve((req, res) => {
    if (req.url!.startsWith('/token')) {
      tokens++;
      res.setHeader('Content-Type', 'application/json');
      return res.end(JSON.stringify({ token: 'T1' }));
    }
    if (req.headers.authorization !== 'Bearer T1') {
      res.statusCode = 401;
      res.setHeader('WWW-Authenticate', `Bearer realm="${regUrl}/token",service="svc"`);
      return res.end('{"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]}');
    }
    if (req.url === '/v2/') return res.end('{}');
    res.statusCode = 307;
    res.setHeader('Location', `${storage.url}/signed/blob?sig=1`);
    res.end();
  });
  const regUrl = reg.url;
  try {
    const c = new RegistryClient({ registry: reg.host, insecure: true, credentials: { username: 'u', password: 'p' } });
    const { stream } = await c.blob('team/app', 'sha256:' + 'a'.repeat(64));
    const body = await readBody({ status: 200, headers: {}, body: stream as never, url: new URL(storage.url) });
    assert.equal(body.toString(), 'blob-bytes');
    assert.deepEqual(seen, [{ path: '/signed/blob?sig=1', auth: undefined }]);
    await c.blob('team/app', 'sha256:' + 'b'.repeat(64)).then((b) => b.stream.resume());
    assert.equal(tokens, 1, 'one token for the same scope');
  } finally {
    await storage.close();
    await reg.close();
  }
});

test('a registry that accepts connections and never answers times out', async () => {
  const hung = await serve(() => undefined);
  try {
    const c = new RegistryClient({ registry: hung.host, insecure: true, timeouts: { responseMs: 300, idleMs: 300 } });
    const t0 = Date.now();
    await assert.rejects(c.ping(), (e: unknown) => e instanceof RegistryError && e.kind === 'timeout' && /no answer within/.test(e.message));
    assert.ok(Date.now() - t0 < 5_000);
  } finally {
    await hung.close();
  }
});
