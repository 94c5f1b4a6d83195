// Clients that wait for health: docker-compose 1.29's `depends_on: condition: service_healthy`
// and testcontainers-node's Wait.forHealthCheck(), against a real berth. The services use
// `network_mode: none` (compose) and the default bridge (testcontainers, as it needs).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { run, startBerth, FIXTURES, type Berth, removeAllContainers } from '../../helpers/berth.js';

let b: Berth;
let dir: string;
const PROJECT = 'berth-health-compose';
const compose = (args: string[]) =>
  run('docker-compose', ['-p', PROJECT, '-f', join(dir, 'docker-compose.yml'), ...args], {
    env: { ...process.env, DOCKER_HOST: `unix://${b.socket}`, DOCKER_CONFIG: join(b.dir, 'docker-config') },
    timeoutMs: 120_000,
  });

before(async () => {
  b = await startBerth();
  await b.dockerOk(['load', '-i', join(FIXTURES, 'busybox-legacy.tar')]);
  dir = join(b.dir, 'compose');
  mkdirSync(dir, { recursive: true });
});
after(async () => {
  await compose(['down', '-t', '0']);
  await removeAllContainers(b);
  await b.cleanup();
});

test('docker-compose: a service that depends on another being healthy starts once it is', async () => {
  // The database becomes ready after 2 s; the app must not start before that.
  writeFileSync(join(dir, 'docker-compose.yml'), `version: "2.4"
services:
  db:
    image: busybox
    network_mode: none
    command: sh -c 'sleep 2; touch /tmp/ready; exec sleep 600'
    healthcheck:
      test: ["CMD-SHELL", "test -f /tmp/ready"]
      interval: 1s
      timeout: 2s
      retries: 30
  app:
    image: busybox
    network_mode: none
    command: sleep 600
    depends_on:
      db:
        condition: service_healthy
`);
  const up = await compose(['up', '-d']);
  assert.equal(up.code, 0, up.stderr);
  const [db] = JSON.parse(await b.dockerOk(['inspect', `${PROJECT}_db_1`]));
  const [app] = JSON.parse(await b.dockerOk(['inspect', `${PROJECT}_app_1`]));
  assert.equal(db.State.Health.Status, 'healthy');
  assert.equal(app.State.Status, 'running');
  const firstPass = db.State.Health.Log.find((e: { ExitCode: number }) => e.ExitCode === 0);
  assert.ok(Date.parse(app.State.StartedAt) >= Date.parse(firstPass.End), `app started ${app.State.StartedAt}, db healthy ${firstPass.End}`);
  const down = await compose(['down', '-t', '0']);
  assert.equal(down.code, 0, down.stderr);
});

test('testcontainers: Wait.forHealthCheck() returns once the container is healthy', async () => {
  Object.assign(process.env, {
    DOCKER_HOST: `unix://${b.socket}`,
    TESTCONTAINERS_RYUK_DISABLED: 'true',
    TESTCONTAINERS_CHECKS_DISABLE: 'true',
    DOCKER_CONFIG: join(b.dir, 'docker-config'),
  });
  const { GenericContainer, Wait } = await import('testcontainers');
  const t0 = Date.now();
  const c = await new GenericContainer('busybox:latest')
    .withCommand(['sh', '-c', 'sleep 1; touch /tmp/ready; exec sleep 600'])
    .withHealthCheck({ test: ['CMD-SHELL', 'test -f /tmp/ready'], interval: 500, timeout: 2000, retries: 20, startPeriod: 0 })
    .withWaitStrategy(Wait.forHealthCheck())
    .withStartupTimeout(30_000)
    .start();
  try {
    assert.ok(Date.now() - t0 >= 1000, 'it waited for the check');
    const [info] = JSON.parse(await b.dockerOk(['inspect', c.getId()]));
    assert.equal(info.State.Health.Status, 'healthy');
  } finally {
    await c.stop({ timeout: 1000 });
  }
  // A check that never passes fails the wait.
  await assert.rejects(
    new GenericContainer('busybox:latest')
      .withCommand(['sleep', '600'])
      .withHealthCheck({ test: ['CMD', 'false'], interval: 300, timeout: 1000, retries: 1, startPeriod: 0 })
      .withWaitStrategy(Wait.forHealthCheck())
      .withStartupTimeout(10_000)
      .start(),
    /unhealthy|Health check failed|timed out/i,
  );
});
