// The pull figure's registry: Debian's docker-registry on 127.0.0.1 at a free port with temp
// storage, holding one image of 5 gzip layers (half random, half text: it compresses as real
// layers do), generated once and cached in bench/work/. Uploaded by raw HTTP (blob POST + PUT,
// manifest PUT), so no engine's push is part of the setup.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { packTar, sha256 } from '../../test/fixtures/tar.mjs';
import { sleep } from './util.mjs';

const REGISTRY_BIN = '/usr/bin/docker-registry';

function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

function request(method, url, { body, headers = {} } = {}) {
  return new Promise((resolve, reject) => {
    const r = http.request(url, { method, headers: { ...headers, ...(body ? { 'Content-Length': body.length } : method === 'GET' || method === 'HEAD' ? {} : { 'Content-Length': 0 }) } }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks) }));
    });
    r.on('error', reject);
    r.end(body);
  });
}

/** Starts a plain-HTTP registry; `stop()` kills it and removes its storage. */
export async function startBenchRegistry() {
  if (!existsSync(REGISTRY_BIN)) throw new Error(`${REGISTRY_BIN} is missing (Debian package docker-registry)`);
  const dir = mkdtempSync(join(tmpdir(), 'berth-bench-registry-'));
  const port = await freePort();
  const cfg = {
    version: 0.1,
    log: { level: 'error', accesslog: { disabled: true } },
    storage: { filesystem: { rootdirectory: join(dir, 'storage') }, maintenance: { uploadpurging: { enabled: false } } },
    http: { addr: `127.0.0.1:${port}`, secret: randomBytes(8).toString('hex') },
  };
  writeFileSync(join(dir, 'config.yml'), JSON.stringify(cfg));
  const proc = spawn(REGISTRY_BIN, ['serve', join(dir, 'config.yml')], { stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  proc.stderr.on('data', (c) => (err = (err + c).slice(-2000)));
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 200; i++) {
    if (proc.exitCode !== null) break;
    try {
      if ((await request('GET', `${url}/v2/`)).status === 200) break;
    } catch {
      /* not up yet */
    }
    await sleep(50);
  }
  if (proc.exitCode !== null) throw new Error(`docker-registry exited: ${err}`);
  return {
    host: `127.0.0.1:${port}`,
    url,
    async upload(repo, tag, image) {
      const put = async (blob) => {
        const digest = `sha256:${sha256(blob)}`;
        if ((await request('HEAD', `${url}/v2/${repo}/blobs/${digest}`)).status === 200) return digest;
        const start = await request('POST', `${url}/v2/${repo}/blobs/uploads/`);
        if (start.status !== 202) throw new Error(`upload start: ${start.status}`);
        const loc = new URL(start.headers.location, url);
        loc.searchParams.set('digest', digest);
        const r = await request('PUT', loc.toString(), { body: blob, headers: { 'Content-Type': 'application/octet-stream' } });
        if (r.status !== 201) throw new Error(`upload ${digest}: ${r.status} ${r.body}`);
        return digest;
      };
      const layers = [];
      for (const l of image.layers) layers.push({ mediaType: 'application/vnd.docker.image.rootfs.diff.tar.gzip', digest: await put(l), size: l.length });
      const config = { mediaType: 'application/vnd.docker.container.image.v1+json', digest: await put(image.config), size: image.config.length };
      const mt = 'application/vnd.docker.distribution.manifest.v2+json';
      const manifest = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: mt, config, layers }));
      const r = await request('PUT', `${url}/v2/${repo}/manifests/${tag}`, { body: manifest, headers: { 'Content-Type': mt } });
      if (r.status !== 201) throw new Error(`manifest: ${r.status} ${r.body}`);
      return { digest: `sha256:${sha256(manifest)}`, id: sha256(image.config) };
    },
    async stop() {
      if (proc.exitCode === null) {
        const gone = new Promise((r) => proc.once('exit', r));
        proc.kill('SIGKILL');
        await gone;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * The image: the busybox fixture layer plus 4 layers, `mib` MiB in all (uncompressed), each half
 * random bytes and half text. Cached in `workDir` as gzip blobs and a config.
 */
export async function pullImage(workDir, fixturesDir, mib = 200) {
  const dir = join(workDir, `pull-${mib}m`);
  const meta = join(dir, 'image.json');
  if (existsSync(meta)) {
    const m = JSON.parse(readFileSync(meta, 'utf8'));
    return { config: readFileSync(join(dir, 'config.json')), layers: m.layers.map((f) => readFileSync(join(dir, f))) };
  }
  mkdirSync(dir, { recursive: true });
  const base = readFileSync(join(fixturesDir, 'busybox-rootfs.tar'));
  const tars = [base];
  const per = Math.floor(((mib << 20) - base.length) / 4);
  for (let i = 0; i < 4; i++) {
    const text = Buffer.from(`line ${i} of a bench layer: some text that compresses like config files and scripts do\n`.repeat(Math.ceil(per / 2 / 80))).subarray(0, per / 2);
    tars.push(await packTar([{ name: `bench${i}/`, type: 'directory' }, { name: `bench${i}/random.bin`, type: 'file', data: randomBytes(Math.floor(per / 2)) }, { name: `bench${i}/text.txt`, type: 'file', data: text }]));
  }
  const config = Buffer.from(
    JSON.stringify({
      architecture: 'amd64',
      os: 'linux',
      created: '2023-11-14T22:13:20Z',
      config: { Env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'], Cmd: ['sh'] },
      rootfs: { type: 'layers', diff_ids: tars.map((t) => `sha256:${sha256(t)}`) },
      history: tars.map((_, i) => ({ created: '2023-11-14T22:13:20Z', created_by: `bench pull layer ${i}` })),
    }),
  );
  const files = [];
  tars.forEach((t, i) => {
    writeFileSync(join(dir, `layer${i}.tar.gz`), gzipSync(t, { level: 6 }));
    files.push(`layer${i}.tar.gz`);
  });
  writeFileSync(join(dir, 'config.json'), config);
  writeFileSync(meta + '.tmp', JSON.stringify({ layers: files }));
  renameSync(meta + '.tmp', meta);
  return { config, layers: files.map((f) => readFileSync(join(dir, f))) };
}
