// Image builds through the real docker CLI (classic POST /build), podman --remote
// (POST /libpod/build) and docker-compose 1.29 `build:`: multi-stage, stdin Dockerfile, build
// args, --target, .dockerignore, the cache, failing and bad builds leaving nothing behind.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import tar from 'tar-stream';
import { run, startBerth, FIXTURES, type Berth } from '../../helpers/berth.js';

/** A context tar with a Dockerfile and an entry that climbs out of the context. */
async function evilTar(): Promise<Buffer> {
  const pack = tar.pack();
  pack.entry({ name: 'Dockerfile' }, 'FROM busybox\nCOPY . /\n');
  pack.entry({ name: '../escaped.txt' }, 'x');
  pack.finalize();
  const chunks: Buffer[] = [];
  for await (const c of pack as AsyncIterable<Buffer>) chunks.push(c);
  return Buffer.concat(chunks);
}

let b: Berth;
let work: string;
const ok = (args: string[], opts?: { input?: string | Buffer }) => b.dockerOk(args, { timeoutMs: 120_000, ...opts });

/** A fresh context dir with these files. */
function context(files: Record<string, string>): string {
  const dir = mkdtempSync(join(work, 'ctx-'));
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(join(dir, name, '..'), { recursive: true });
    writeFileSync(join(dir, name), text);
  }
  return dir;
}

const idOf = async (ref: string) => (await ok(['image', 'inspect', '-f', '{{.Id}}', ref])).trim();
const layerCount = () => readdirSync(join(b.root, 'overlay')).filter((n) => /^[0-9a-f]{64}$/.test(n)).length;
const containerCount = async () => (await ok(['ps', '-aq'])).split('\n').filter(Boolean).length;

before(async () => {
  b = await startBerth();
  work = mkdtempSync(join(b.dir, 'build-'));
  await ok(['load', '-i', join(FIXTURES, 'busybox-legacy.tar')]);
});
after(async () => {
  await b.cleanup();
});

const MULTI = `ARG BASE=busybox
FROM \${BASE} AS builder
ARG MSG=hello
WORKDIR /src
COPY data.txt ./
RUN echo "$MSG from builder" > out.txt && cat data.txt >> out.txt
FROM busybox
ENV GREETING="hi there"
COPY --from=builder /src/out.txt /app/out.txt
COPY --chown=1000:1000 --chmod=0640 data.txt /app/data.txt
USER 1000
WORKDIR /app
HEALTHCHECK --interval=5s --retries=2 CMD true
LABEL stage=final
EXPOSE 8080
ENTRYPOINT ["sh", "-c"]
CMD ["cat /app/out.txt; echo $GREETING; id -u; pwd; stat -c '%u %a' /app/data.txt"]
`;

test('docker build of a multi-stage Dockerfile: the image runs and prints what the build put there', async () => {
  const dir = context({ Dockerfile: MULTI, 'data.txt': 'data-line\n' });
  const out = await ok(['build', '-t', 'berth-build/multi:1', '-t', 'berth-build/multi:alias', dir]);
  assert.match(out, /Step 1\/16 : FROM \$\{BASE\} AS builder/);
  assert.match(out, / ---> Running in [0-9a-f]{12}/);
  assert.match(out, /Removing intermediate container [0-9a-f]{12}/);
  assert.match(out, /Successfully built [0-9a-f]{12}/);
  assert.match(out, /Successfully tagged berth-build\/multi:1/);
  assert.match(out, /Successfully tagged berth-build\/multi:alias/);
  const printed = await ok(['run', '--rm', '--network', 'none', 'berth-build/multi:1']);
  assert.equal(printed, 'hello from builder\ndata-line\nhi there\n1000\n/app\n1000 640\n');
  const cfg = JSON.parse(await ok(['image', 'inspect', '-f', '{{json .Config}}', 'berth-build/multi:1']));
  assert.equal(cfg.User, '1000');
  assert.equal(cfg.WorkingDir, '/app');
  assert.deepEqual(cfg.Entrypoint, ['sh', '-c']);
  assert.deepEqual(cfg.Healthcheck, { Test: ['CMD-SHELL', 'true'], Interval: 5e9, Retries: 2 });
  assert.deepEqual(cfg.Labels, { stage: 'final' });
  assert.ok('8080/tcp' in cfg.ExposedPorts);
  assert.ok(cfg.Env.includes('GREETING=hi there'));
  assert.equal(await containerCount(), 0, 'no intermediate container is left');
  // Intermediate images are out of `docker images`, as dockerd keeps them.
  // busybox, the two tags and the builder stage's last image (dangling, as dockerd shows it).
  const listed = (await ok(['images', '-q'])).split('\n').filter(Boolean);
  assert.equal(listed.length, 4);
  assert.ok((await ok(['images', '-aq'])).split('\n').filter(Boolean).length > 10);
  const history = await ok(['history', '--no-trunc', '--format', '{{.CreatedBy}}', 'berth-build/multi:1']);
  assert.match(history, /#\(nop\) ENV GREETING="hi there"/);
});

test('a rebuild uses the cache for every step and gives the same ID; a changed file rebuilds from its COPY on', async () => {
  const dir = context({ Dockerfile: MULTI, 'data.txt': 'data-line\n' });
  const first = await ok(['build', '-t', 'berth-build/cached', dir]);
  const id = await idOf('berth-build/cached');
  const again = await ok(['build', '-t', 'berth-build/cached', dir]);
  const steps = again.split(/(?=Step \d+\/\d+ :)/).filter((s) => s.startsWith('Step'));
  assert.equal(steps.length, 16);
  for (const s of steps) if (!/^Step \d+\/\d+ : FROM/.test(s)) assert.match(s, / ---> Using cache/, `not cached: ${s.split('\n')[0]}`);
  assert.doesNotMatch(again, /Running in/);
  assert.equal(await idOf('berth-build/cached'), id);
  assert.ok(first.length > 0);

  writeFileSync(join(dir, 'data.txt'), 'changed\n');
  const changed = await ok(['build', '-t', 'berth-build/cached', dir]);
  const parts = changed.split(/(?=Step \d+\/\d+ :)/).filter((s) => s.startsWith('Step'));
  const cached = parts.map((s) => / ---> Using cache/.test(s));
  // ARG, WORKDIR before the COPY stay cached; the COPY and the RUN after it are built again.
  assert.deepEqual(cached.slice(1, 5), [true, true, false, false]);
  assert.equal(cached[6], true, 'the second stage\'s ENV is unchanged');
  assert.equal(cached[7], false, 'COPY --from of the rebuilt stage');
  assert.notEqual(await idOf('berth-build/cached'), id);
  assert.match(await ok(['run', '--rm', '--network', 'none', 'berth-build/cached']), /^hello from builder\nchanged\n/);
});

test('-f - reads the Dockerfile from stdin; build args; --target stops at a stage', async () => {
  const dir = context({ 'file.txt': 'from-context\n' });
  const df = 'FROM busybox AS one\nARG WHO=nobody\nARG UNUSED_DEFAULT=x\nCOPY file.txt /f\nRUN echo "who=$WHO" > /who\nCMD cat /f /who\nFROM one AS two\nRUN echo two > /two\n';
  const out = await ok(['build', '-f', '-', '--build-arg', 'WHO=berth', '--target', 'one', '-t', 'berth-build/stdin', dir], { input: df });
  assert.doesNotMatch(out, /Step \d+\/\d+ : FROM one AS two/);
  assert.equal(await ok(['run', '--rm', '--network', 'none', 'berth-build/stdin']), 'from-context\nwho=berth\n');
  // A build arg nothing declares is reported, not fatal.
  const warn = await b.docker(['build', '-f', '-', '--build-arg', 'NOPE=1', '-t', 'berth-build/stdin2', dir], { input: df, timeoutMs: 120_000 });
  assert.equal(warn.code, 0, warn.stderr);
  assert.match(warn.stdout + warn.stderr, /build-args \[NOPE\] were not consumed/);
  assert.equal(await ok(['run', '--rm', '--network', 'none', 'berth-build/stdin2', 'cat', '/two']), 'two\n');
  // A Dockerfile alone on stdin (no context).
  const alone = await ok(['build', '-q', '-t', 'berth-build/alone', '-'], { input: 'FROM busybox\nENV X=1\n' });
  assert.match(alone.trim(), /^sha256:[0-9a-f]{64}$/);
  assert.equal(alone.trim(), await idOf('berth-build/alone'));
});

test('.dockerignore with ! exceptions: excluded files are not in the context', async () => {
  const dir = context({
    Dockerfile: 'FROM busybox\nCOPY . /ctx/\nCMD find /ctx -type f\n',
    '.dockerignore': '*.log\nsecret\n!secret/keep.txt\n',
    'app.txt': 'a',
    'debug.log': 'l',
    'secret/key': 'k',
    'secret/keep.txt': 'keep',
  });
  await ok(['build', '-t', 'berth-build/ignore', dir]);
  const files = (await ok(['run', '--rm', '--network', 'none', 'berth-build/ignore'])).split('\n').filter(Boolean).sort();
  assert.ok(files.includes('/ctx/app.txt'));
  assert.ok(files.includes('/ctx/secret/keep.txt'));
  assert.ok(!files.includes('/ctx/debug.log'));
  assert.ok(!files.includes('/ctx/secret/key'));
});

test('a failing RUN ends the build with its exit code: nothing tagged, no container, no new layer', async () => {
  const layers = layerCount();
  const containers = await containerCount();
  const r = await b.docker(['build', '-t', 'berth-build/fails', '-'], { input: 'FROM busybox\nRUN echo before-fail; echo x > /new; exit 3\n', timeoutMs: 120_000 });
  assert.equal(r.code, 3);
  assert.match(r.stdout, /before-fail/);
  assert.match(r.stderr, /The command '\/bin\/sh -c echo before-fail; echo x > \/new; exit 3' returned a non-zero code: 3/);
  assert.equal((await b.docker(['image', 'inspect', 'berth-build/fails'])).code, 1);
  assert.equal(await containerCount(), containers);
  assert.equal(layerCount(), layers);
});

test('bad input: unknown instruction, no FROM, paths outside the context, unknown --from, traversal entries', async () => {
  const fails = async (dir: string, df: string | undefined, re: RegExp) => {
    const args = df === undefined ? ['build', dir] : ['build', '-f', '-', dir];
    const r = await b.docker(args, { input: df, timeoutMs: 60_000 });
    assert.notEqual(r.code, 0, `should fail: ${df}`);
    assert.match(r.stderr, re);
  };
  const dir = context({ 'a.txt': 'a' });
  symlinkSync('/etc', join(dir, 'hostetc'));
  symlinkSync('../../..', join(dir, 'up'));
  await fails(dir, 'FROM busybox\nFROB x\n', /unknown instruction: FROB/);
  await fails(dir, 'RUN true\n', /no build stage|before FROM/);
  await fails(dir, 'FROM busybox\nCOPY ../x /x\n', /outside the build context/);
  await fails(dir, 'FROM busybox\nCOPY /etc/passwd /x\n', /outside the build context/);
  await fails(dir, 'FROM busybox\nCOPY hostetc/passwd /x\n', /outside the build context/);
  await fails(dir, 'FROM busybox\nCOPY up/etc/passwd /x\n', /outside the build context/);
  await fails(dir, 'FROM busybox\nCOPY missing.txt /x\n', /file not found in build context/);
  await fails(dir, 'FROM busybox\nCOPY --from=nostage /a /a\n', /--from=nostage/);
  await fails(dir, 'FROM nosuchimage:1\n', /nosuchimage/);
  await fails(dir, 'FROM --platform=linux/s390x busybox\n', /platform "linux\/s390x" is not supported/);
  const plat = await b.docker(['build', '--platform', 'windows/amd64', '-'], { input: 'FROM busybox\n', timeoutMs: 60_000 });
  assert.notEqual(plat.code, 0);
  assert.match(plat.stderr, /is not supported/);
  // A context tar with a traversal entry, straight to the API.
  const evil = await evilTar();
  const r = await b.request('POST', '/v1.41/build?t=berth-build/evil', evil, { 'Content-Type': 'application/x-tar' });
  assert.equal(r.status, 200);
  assert.match(r.text, /"errorDetail".*invalid build context/);
  assert.equal((await b.docker(['image', 'inspect', 'berth-build/evil'])).code, 1);
  assert.ok(!existsSync(join(b.root, 'tmp', 'escaped.txt')));
  // A malformed parameter is a 400 before anything starts.
  const bad = await b.request('POST', '/v1.41/build?buildargs=notjson', Buffer.alloc(0));
  assert.equal(bad.status, 400);
  assert.equal(await containerCount(), 0);
});

test('podman --remote build: the libpod stream, localhost/ names, the cache on a rebuild', async () => {
  const dir = context({ Containerfile: 'FROM busybox\nCOPY a.txt /a.txt\nRUN cat /a.txt > /b.txt\nCMD ["cat", "/b.txt"]\n', 'a.txt': 'via-podman\n' });
  const podman = (args: string[]) => run('podman', ['--remote', '--url', `unix://${b.socket}`, ...args], { timeoutMs: 120_000 });
  const r = await podman(['build', '-t', 'pbuild', dir]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /STEP 1\/4: FROM busybox/);
  assert.match(r.stdout, /Successfully tagged localhost\/pbuild:latest/);
  const id = r.stdout.trim().split('\n').at(-1)!;
  assert.match(id, /^[0-9a-f]{64}$/);
  assert.equal(await ok(['run', '--rm', '--network', 'none', 'localhost/pbuild']), 'via-podman\n');
  const again = await podman(['build', '-t', 'pbuild', dir]);
  assert.equal(again.code, 0, again.stderr);
  assert.equal((again.stdout.match(/Using cache/g) ?? []).length, 3);
  assert.equal(again.stdout.trim().split('\n').at(-1), id);
  const bad = await podman(['build', '-f', join(dir, 'Containerfile'), '--target', 'nope', dir]);
  assert.notEqual(bad.code, 0);
  assert.match(bad.stderr, /target nope/);
});

test('docker-compose build: then up runs the built image', async () => {
  const dir = context({
    'app/Dockerfile': 'FROM busybox\nARG FLAVOUR=plain\nRUN echo "built-$FLAVOUR" > /msg\nCMD cat /msg\n',
    'docker-compose.yml': 'version: "3.7"\nservices:\n  app:\n    build:\n      context: ./app\n      args:\n        FLAVOUR: compose\n    image: berth-build/compose-app\n    network_mode: none\n',
  });
  const compose = (args: string[]) =>
    run('docker-compose', ['-p', 'berthbuild', '-f', join(dir, 'docker-compose.yml'), ...args], {
      env: { ...process.env, DOCKER_HOST: `unix://${b.socket}`, DOCKER_CONFIG: join(b.dir, 'docker-config') },
      timeoutMs: 180_000,
    });
  const built = await compose(['build']);
  assert.equal(built.code, 0, built.stderr);
  const up = await compose(['up', '--no-color']);
  assert.equal(up.code, 0, up.stderr);
  assert.match(up.stdout, /built-compose/);
  await compose(['down']);
});

test('ADD of a local tar and an http URL, wildcards, COPY --from an image, SHELL, VOLUME, STOPSIGNAL, ONBUILD', async () => {
  const dir = context({ 'w/a1.txt': 'a1', 'w/a2.txt': 'a2', 'w/b.txt': 'b', 'tree/x/y.txt': 'y' });
  execFileSync('tar', ['-czf', join(dir, 'pack.tar.gz'), '-C', join(dir, 'tree'), '.']);
  const server = http.createServer((_req, res) => res.end('downloaded\n'));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const port = (server.address() as { port: number }).port;
  try {
    const df = `FROM busybox
ADD pack.tar.gz /unpacked/
ADD http://127.0.0.1:${port}/file.txt /dl/
COPY w/a*.txt /wild/
COPY --from=busybox /bin/busybox /copied-busybox
SHELL ["/bin/sh", "-e", "-c"]
RUN test -f /unpacked/x/y.txt && test "$(cat /dl/file.txt)" = downloaded && ls /wild > /wild.list
VOLUME /data
STOPSIGNAL SIGUSR1
ONBUILD RUN echo triggered > /onbuild
`;
    await ok(['build', '-f', '-', '-t', 'berth-build/more', dir], { input: df });
    assert.equal(await ok(['run', '--rm', '--network', 'none', 'berth-build/more', 'cat', '/wild.list']), 'a1.txt\na2.txt\n');
    assert.equal(await ok(['run', '--rm', '--network', 'none', 'berth-build/more', 'stat', '-c', '%a', '/dl/file.txt']), '600\n');
    assert.equal((await ok(['run', '--rm', '--network', 'none', 'berth-build/more', 'ls', '/copied-busybox'])).trim(), '/copied-busybox');
    const cfg = JSON.parse(await ok(['image', 'inspect', '-f', '{{json .Config}}', 'berth-build/more']));
    assert.deepEqual(cfg.Volumes, { '/data': {} });
    assert.equal(cfg.StopSignal, 'SIGUSR1');
    assert.deepEqual(cfg.OnBuild, ['RUN echo triggered > /onbuild']);
    // The trigger runs in a build FROM the image, and is not inherited further.
    const child = await ok(['build', '-t', 'berth-build/child', '-'], { input: 'FROM berth-build/more\nENV CHILD=1\n' });
    assert.match(child, /Executing 1 build trigger/);
    assert.equal(await ok(['run', '--rm', '--network', 'none', 'berth-build/child', 'cat', '/onbuild']), 'triggered\n');
    const childCfg = JSON.parse(await ok(['image', 'inspect', '-f', '{{json .Config}}', 'berth-build/child']));
    assert.ok(!childCfg.OnBuild?.length, 'triggers are not inherited');
  } finally {
    server.close();
  }
});

test('docker rmi of a built image takes its intermediate images along; image prune keeps the cache of tagged images', async () => {
  const all = async () => (await ok(['images', '-aq', '--no-trunc'])).split('\n').filter(Boolean).sort();
  // Dangling images of the earlier tests go first, so the counts are this test's own.
  await ok(['image', 'prune', '-f']);
  const before = await all();
  await ok(['build', '-t', 'berth-build/rmi', '-'], { input: 'FROM busybox\nENV A=1\nRUN echo x > /x\nLABEL l=1\n' });
  const built = await all();
  assert.equal(built.length, before.length + 3);
  await ok(['image', 'prune', '-f']);
  assert.deepEqual(await all(), built, 'intermediate images of a tagged image are not dangling');
  const r = await ok(['rmi', 'berth-build/rmi']);
  assert.equal((r.match(/Deleted: sha256:/g) ?? []).length >= 3, true, r);
  assert.deepEqual(await all(), before);
});

test('a client that goes away mid-RUN cancels the build: the step is killed, its container removed, nothing tagged', async () => {
  const { spawn } = await import('node:child_process');
  const p = spawn('/usr/local/bin/docker', ['build', '-t', 'berth-build/cancelled', '-'], {
    env: { ...process.env, DOCKER_HOST: `unix://${b.socket}`, DOCKER_CONFIG: join(b.dir, 'docker-config') },
  });
  p.stdin.end('FROM busybox\nRUN echo started; sleep 60\n');
  let out = '';
  p.stdout.on('data', (c) => (out += c));
  const deadline = Date.now() + 30_000;
  while (!/started/.test(out) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  assert.match(out, /started/);
  p.kill('SIGKILL');
  const t0 = Date.now();
  while ((await containerCount()) > 0 && Date.now() - t0 < 20_000) await new Promise((r) => setTimeout(r, 200));
  assert.equal(await containerCount(), 0, 'the RUN container is gone well before its sleep would end');
  assert.ok(Date.now() - t0 < 20_000);
  assert.equal((await b.docker(['image', 'inspect', 'berth-build/cancelled'])).code, 1);
});

test('remote: a tarball URL as the context, straight to the API', async () => {
  const ctxTar = await (async () => {
    const pack = tar.pack();
    pack.entry({ name: 'Dockerfile' }, 'FROM busybox\nCOPY hello.txt /hello.txt\nCMD ["cat", "/hello.txt"]\n');
    pack.entry({ name: 'hello.txt' }, 'from-remote\n');
    pack.finalize();
    const chunks: Buffer[] = [];
    for await (const c of pack as AsyncIterable<Buffer>) chunks.push(c);
    return Buffer.concat(chunks);
  })();
  const server = http.createServer((_req, res) => res.end(ctxTar));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const port = (server.address() as { port: number }).port;
  try {
    const r = await b.request('POST', `/v1.41/build?t=berth-build/remote&remote=${encodeURIComponent(`http://127.0.0.1:${port}/ctx.tar`)}`);
    assert.equal(r.status, 200);
    assert.match(r.text, /Successfully tagged berth-build\/remote:latest/);
    assert.equal(await ok(['run', '--rm', '--network', 'none', 'berth-build/remote']), 'from-remote\n');
    const bad = await b.request('POST', '/v1.41/build?remote=ftp%3A%2F%2Fx');
    assert.equal(bad.status, 400);
  } finally {
    server.close();
  }
});

test('squash: the result is one layer with the whole tree and the final config', async () => {
  const pack = tar.pack();
  pack.entry({ name: 'Dockerfile' }, 'FROM busybox\nRUN echo a > /a\nRUN echo b > /b && rm /a\nENV SQUASHED=1\n');
  pack.finalize();
  const chunks: Buffer[] = [];
  for await (const c of pack as AsyncIterable<Buffer>) chunks.push(c);
  const r = await b.request('POST', '/v1.41/build?t=berth-build/squashed&squash=1', Buffer.concat(chunks), { 'Content-Type': 'application/x-tar' });
  assert.equal(r.status, 200);
  assert.match(r.text, /Successfully tagged berth-build\/squashed:latest/);
  const layers = JSON.parse(await ok(['image', 'inspect', '-f', '{{json .RootFS.Layers}}', 'berth-build/squashed']));
  assert.equal(layers.length, 1);
  assert.equal(await ok(['run', '--rm', '--network', 'none', 'berth-build/squashed', 'sh', '-c', 'cat /b; test ! -e /a && echo $SQUASHED']), 'b\n1\n');
});
