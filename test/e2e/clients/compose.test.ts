// Debian's docker-compose 1.29 against a real berth: a project with a web server and a client
// that reaches it by service name on a custom network (and a named volume once berth serves
// /volumes): up -d, ps, logs, exec, down -v, and nothing of the project left after.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { run, startBerth, waitFor, FIXTURES, type Berth } from '../../helpers/berth.js';

let b: Berth;
let dir: string;
let withVolume = false;
const compose = (args: string[]) =>
  run('docker-compose', ['-p', 'proj', '-f', join(dir, 'docker-compose.yml'), ...args], {
    env: { ...process.env, DOCKER_HOST: `unix://${b.socket}`, DOCKER_CONFIG: join(b.dir, 'docker-config') },
    timeoutMs: 120_000,
  });

function project(volume: boolean): string {
  // The client fetches what the web server serves, by the service's name, until it is stopped.
  const web = volume
    ? `    command: sh -c 'echo served-from-volume > /srv/index.html; exec httpd -f -p 8080 -h /srv'\n    volumes: ["data:/srv"]\n`
    : `    command: sh -c 'echo served-from-web > /tmp/index.html; exec httpd -f -p 8080 -h /tmp'\n`;
  return `version: "3.7"
services:
  web:
    image: busybox
${web}    networks: [appnet]
  client:
    image: busybox
    command: sh -c 'for i in $$(seq 1 100); do timeout 3 wget -qO- http://web:8080/index.html && break; sleep 0.2; done; exec sleep 600'
    networks: [appnet]
    depends_on: [web]
${volume ? 'volumes:\n  data: {}\n' : ''}networks:
  appnet:
    labels:
      purpose: test
`;
}

before(async () => {
  b = await startBerth();
  const r = await b.docker(['load', '-i', join(FIXTURES, 'busybox-legacy.tar')]);
  assert.equal(r.code, 0, r.stderr);
  dir = join(b.dir, 'compose');
  mkdirSync(dir, { recursive: true });
  // A named volume needs berth's /volumes; the network and services need nothing else.
  withVolume = (await b.request('GET', '/volumes')).status === 200;
  writeFileSync(join(dir, 'docker-compose.yml'), project(withVolume));
});
after(async () => {
  await compose(['down', '-v', '-t', '0']);
  await b.cleanup();
});

test('docker-compose up -d, ps, logs, exec and down -v of a two-service project on a custom network', async (t) => {
  if (!withVolume) t.diagnostic('berth has no /volumes yet: the project runs without its named volume');
  const up = await compose(['up', '-d']);
  assert.equal(up.code, 0, up.stderr);
  const ps = await compose(['ps']);
  assert.equal(ps.code, 0, ps.stderr);
  assert.match(ps.stdout, /proj_web_1\s.*\sUp/);
  assert.match(ps.stdout, /proj_client_1\s.*\sUp/);
  // The client reached the web server by its service name.
  const want = withVolume ? 'served-from-volume' : 'served-from-web';
  assert.ok(await waitFor(async () => (await compose(['logs', '--no-color', 'client'])).stdout.includes(want), 20_000), (await compose(['logs', 'client'])).stdout);
  const ex = await compose(['exec', '-T', 'client', 'sh', '-c', 'timeout 3 wget -qO- http://web:8080/index.html']);
  assert.equal(ex.code, 0, ex.stderr);
  assert.equal(ex.stdout.trim(), want);
  const net = JSON.parse(await b.dockerOk(['network', 'inspect', 'proj_appnet']))[0];
  assert.equal(net.Labels['com.docker.compose.project'], 'proj');
  assert.equal(net.Labels.purpose, 'test');
  assert.deepEqual(Object.values(net.Containers).map((c) => (c as { Name: string }).Name).sort(), ['proj_client_1', 'proj_web_1']);
  // A second up finds everything as it left it.
  const again = await compose(['up', '-d']);
  assert.equal(again.code, 0, again.stderr);
  assert.match(again.stderr, /proj_web_1 is up-to-date/);
  const down = await compose(['down', '-v', '-t', '1']);
  assert.equal(down.code, 0, down.stderr);
  assert.equal((await b.dockerOk(['ps', '-aq'])).trim(), '');
  assert.equal((await b.docker(['network', 'inspect', 'proj_appnet'])).code, 1);
  if (withVolume) assert.equal((await b.docker(['volume', 'inspect', 'proj_data'])).code, 1);
});
