// Secrets through podman-remote and both API layers: create/ls/inspect/rm, a container reading
// them as files (owner, mode, target) and as a variable, and the data absent from inspect,
// events, logs of the service, commit, export and diff; replace keeps running containers as
// they were; a secret's events reach only the libpod clients that know the type.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { run, startBerth, FIXTURES, type Berth, removeAllContainers } from '../../helpers/berth.js';

let b: Berth;
const P = '/v5.4.2/libpod';
const DATA = 'hunter2-berth-libpod-secret';
const ENVDATA = 'tok-berth-libpod-env';
const podman = (args: string[], input?: string) => run('podman', ['--remote', '--url', `unix://${b.socket}`, ...args], { timeoutMs: 30_000, input });
const podmanOk = async (args: string[], input?: string) => {
  const r = await podman(args, input);
  assert.equal(r.code, 0, `podman ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
};
let files = 0;
/** podman reads `-` only from a FIFO (Node's stdin pipe is a socket): the data goes through a file. */
const secretCreate = (name: string, data: string, extra: string[] = []) => {
  const f = join(b.dir, `secret-${files++}`);
  writeFileSync(f, data);
  return podman(['secret', 'create', ...extra, name, f]);
};
const secretCreateOk = async (name: string, data: string) => {
  const r = await secretCreate(name, data);
  assert.equal(r.code, 0, `podman secret create ${name}: ${r.stderr}`);
  return r.stdout;
};

before(async () => {
  b = await startBerth();
  await b.dockerOk(['load', '-i', join(FIXTURES, 'busybox-legacy.tar')]);
});
after(async () => {
  await removeAllContainers(b);
  await b.cleanup();
});

test('podman-remote secret create, ls, inspect, rm; the data stored for the owner only', async () => {
  const id = (await secretCreateOk('lp-s1', DATA)).trim();
  assert.match(id, /^[0-9a-f]{25}$/);
  const ls = await podmanOk(['secret', 'ls', '--format', '{{.ID}} {{.Name}} {{.Driver}}']);
  assert.match(ls, new RegExp(`${id} lp-s1 file`));
  const [ins] = JSON.parse(await podmanOk(['secret', 'inspect', 'lp-s1']));
  assert.equal(ins.ID, id);
  assert.equal(ins.Spec.Name, 'lp-s1');
  assert.equal(ins.Spec.Driver.Name, 'file');
  assert.equal(ins.SecretData, undefined);
  assert.ok(!JSON.stringify(ins).includes(DATA));
  // By ID prefix too.
  assert.equal(JSON.parse(await podmanOk(['secret', 'inspect', id.slice(0, 8)]))[0].ID, id);
  // The data: only with showsecret, and on disk for the owner only.
  const shown = await b.request('GET', `${P}/secrets/lp-s1/json?showsecret=true`);
  assert.equal(shown.json.SecretData, DATA);
  const dir = join(b.root, 'secrets', 'filedriver');
  assert.equal(statSync(dir).mode & 0o777, 0o700);
  assert.equal(statSync(join(dir, id)).mode & 0o777, 0o600);
  assert.equal(readFileSync(join(dir, id), 'utf8'), DATA);
  // The state DB holds the record, not the data.
  for (const f of readdirSync(b.root).filter((n) => n.startsWith('state'))) assert.ok(!readFileSync(join(b.root, f)).includes(DATA), f);

  const dup = await secretCreate('lp-s1', 'x');
  assert.notEqual(dup.code, 0);
  assert.match(dup.stderr, /secret name in use/);
  const bad = await b.request('POST', `${P}/secrets/create?name=bad/name`, 'x');
  assert.equal(bad.status, 400);
  const empty = await b.request('POST', `${P}/secrets/create?name=lp-empty`, '');
  assert.equal(empty.status, 400);
  assert.match(empty.json.message, /larger than 0/);
  const drv = await b.request('POST', `${P}/secrets/create?name=lp-d&driver=pass`, 'x');
  assert.equal(drv.status, 400);
  assert.match(drv.json.message, /"file" driver only/);

  assert.equal((await b.request('GET', `${P}/secrets/lp-s1/exists`)).status, 204);
  await podmanOk(['secret', 'rm', 'lp-s1']);
  assert.equal((await b.request('GET', `${P}/secrets/lp-s1/exists`)).status, 404);
  const gone = await podman(['secret', 'inspect', 'lp-s1']);
  assert.notEqual(gone.code, 0);
  assert.match(gone.stderr, /no such secret/);
  assert.deepEqual(readdirSync(dir), []);
});

test('labels, filters and replace through the libpod API; compat /secrets', async () => {
  const c = await b.request('POST', `${P}/secrets/create?name=lp-l1&labels=${encodeURIComponent('{"tier":"db"}')}`, 'one');
  assert.equal(c.status, 201, c.text);
  await b.request('POST', `${P}/secrets/create?name=lp-l2`, 'two');
  const byLabel = await b.request('GET', `${P}/secrets/json?filters=${encodeURIComponent('{"label":["tier=db"]}')}`);
  assert.deepEqual(byLabel.json.map((s: any) => s.Spec.Name), ['lp-l1']);
  assert.deepEqual(byLabel.json[0].Spec.Labels, { tier: 'db' });
  const byName = await b.request('GET', `${P}/secrets/json?filters=${encodeURIComponent('{"name":["^lp-l2$"]}')}`);
  assert.deepEqual(byName.json.map((s: any) => s.Spec.Name), ['lp-l2']);
  const badFilter = await b.request('GET', `${P}/secrets/json?filters=${encodeURIComponent('{"colour":["red"]}')}`);
  assert.equal(badFilter.status, 400);

  const r = await b.request('POST', `${P}/secrets/create?name=lp-l1&replace=true`, 'uno');
  assert.equal(r.status, 201);
  assert.equal(r.json.ID, c.json.ID, 'replace keeps the ID');
  assert.equal((await b.request('GET', `${P}/secrets/lp-l1/json?showsecret=true`)).json.SecretData, 'uno');

  // Compat: Data in base64, a Version in the reports, no update.
  const cc = await b.request('POST', '/v1.41/secrets/create', { Name: 'lp-c1', Data: Buffer.from('compat').toString('base64'), Labels: { a: 'b' } });
  assert.equal(cc.status, 201, cc.text);
  const cl = await b.request('GET', '/v1.41/secrets');
  assert.ok(cl.json.some((s: any) => s.ID === cc.json.ID && s.Version.Index === 1 && s.Spec.Labels.a === 'b'));
  assert.equal((await b.request('GET', `/v1.41/secrets/${cc.json.ID}`)).json.Spec.Name, 'lp-c1');
  const up = await b.request('POST', '/v1.41/secrets/lp-c1/update', {});
  assert.equal(up.status, 400);
  assert.match(up.json.message, /cannot be updated/);
  assert.equal((await b.request('DELETE', '/v1.41/secrets/lp-c1')).status, 204);
  assert.equal((await b.request('GET', '/v1.41/secrets/lp-c1')).status, 404);
  assert.equal((await b.request('DELETE', `${P}/secrets/x?all=true`)).status, 204);
  assert.deepEqual((await b.request('GET', `${P}/secrets/json`)).json, []);
});

test('podman-remote run --secret: a file (target, uid, mode) and a variable; never in inspect, commit, export or diff', async () => {
  await secretCreateOk('lp-file', DATA);
  await secretCreateOk('lp-env', ENVDATA);
  const out = await podmanOk(['run', '--network', 'none', '--name', 'lp-sec', '--secret', 'lp-file', '--secret', 'lp-file,target=/etc/app.key,uid=1000,gid=1001,mode=0400',
    '--secret', 'lp-env,type=env,target=TOKEN', 'busybox', 'sh', '-c', 'cat /run/secrets/lp-file; echo; cat /etc/app.key; echo; echo "$TOKEN"; stat -c "%u %g %a" /run/secrets/lp-file /etc/app.key; echo x > /run/secrets/lp-file || echo read-only']);
  const lines = out.trim().split('\n');
  assert.deepEqual(lines.slice(0, 5), [DATA, DATA, ENVDATA, '0 0 444', '1000 1001 400']);
  assert.match(out, /read-only/);

  const inspect = await podmanOk(['inspect', 'lp-sec']);
  assert.ok(!inspect.includes(DATA) && !inspect.includes(ENVDATA), 'no secret data in inspect');
  const [c] = JSON.parse(inspect);
  assert.deepEqual(c.Config.Secrets.map((s: any) => [s.Name, s.UID, s.GID, s.Mode]), [['lp-file', 0, 0, 0o444], ['lp-file', 1000, 1001, 0o400], ['lp-env', 0, 0, 0o444]]);
  assert.ok(!c.Config.Env.some((e: string) => e.startsWith('TOKEN=')));
  const dockerInspect = await b.dockerOk(['inspect', 'lp-sec']);
  assert.ok(!dockerInspect.includes(DATA) && !dockerInspect.includes(ENVDATA));

  // Replacing or removing the secret leaves the container's copy as it was (podman's rule).
  await b.request('POST', `${P}/secrets/create?name=lp-file&replace=true`, 'changed');
  await podmanOk(['start', 'lp-sec']);
  await podmanOk(['wait', 'lp-sec']);
  const logs = await podmanOk(['logs', 'lp-sec']);
  assert.equal(logs.split(DATA).length - 1, 4, 'both runs read the copy made at create');
  assert.ok(!logs.includes('changed'));

  const diff = await podmanOk(['diff', 'lp-sec']);
  assert.ok(!/lp-file|app\.key/.test(diff), diff);
  await podmanOk(['commit', 'lp-sec', 'lp-sec-img']);
  const fromImage = await podman(['run', '--rm', '--network', 'none', 'lp-sec-img', 'sh', '-c', 'cat /run/secrets/lp-file /etc/app.key 2>/dev/null; true']);
  assert.ok(!fromImage.stdout.includes(DATA), 'the image has no secret');
  const tar = await run('sh', ['-c', `podman --remote --url unix://${b.socket} export lp-sec | tar -xO 2>/dev/null | grep -c ${DATA} || true`]);
  assert.equal(tar.stdout.trim(), '0');

  // Neither the events nor the service's output carry the data.
  const events = await b.request('GET', '/v1.41/events?stream=false&since=0');
  const lpEvents = await b.request('GET', `${P}/events?stream=false&since=0`);
  for (const t of [events.text, lpEvents.text, b.stdout(), b.stderr()]) assert.ok(!t.includes(DATA) && !t.includes(ENVDATA));
  await podmanOk(['rm', '-f', 'lp-sec']);
  await podmanOk(['rmi', 'lp-sec-img']);
});

test('SpecGenerator secrets: an unknown secret, a bad target or type is a 400 naming it', async () => {
  await secretCreateOk('lp-sg', 'sg');
  const base = { image: 'busybox', command: ['true'], netns: { nsmode: 'none' } };
  const none = await b.request('POST', `${P}/containers/create`, { ...base, secrets: [{ Source: 'lp-nosuch' }] });
  assert.equal(none.status, 404);
  assert.match(none.json.message, /no such secret/);
  const envBad = await b.request('POST', `${P}/containers/create`, { ...base, secret_env: { 'BAD-NAME': 'lp-sg' } });
  assert.equal(envBad.status, 400);
  assert.match(envBad.json.message, /variable name/);
  const twice = await b.request('POST', `${P}/containers/create`, { ...base, secrets: [{ Source: 'lp-sg' }, { Source: 'lp-sg' }] });
  assert.equal(twice.status, 400);
  const ok = await b.request('POST', `${P}/containers/create`, { ...base, secrets: [{ source: 'lp-sg', target: 'renamed', mode: 0o440 }], secret_env: { SG: 'lp-sg' } });
  assert.equal(ok.status, 201, ok.text);
  const c = await b.request('GET', `${P}/containers/${ok.json.Id}/json`);
  assert.deepEqual(c.json.Config.Secrets.map((s: any) => s.Name), ['lp-sg', 'lp-sg']);
  await b.request('DELETE', `${P}/containers/${ok.json.Id}?force=true`);
});

test('secret events: docker and new libpod clients see them, podman 4.3 gets none (its client cannot parse the type)', async () => {
  const since = Math.floor(Date.now() / 1000) - 1;
  const s = await b.request('POST', `${P}/secrets/create?name=lp-ev`, 'ev');
  await b.request('DELETE', `${P}/secrets/lp-ev`);
  const until = Math.floor(Date.now() / 1000) + 1;
  const q = `since=${since}&until=${until}&filters=${encodeURIComponent('{"type":["secret"]}')}`;
  const parse = (t: string) => t.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l));
  const compat = parse((await b.request('GET', `/v1.41/events?${q}`)).text);
  assert.deepEqual(compat.filter((e) => e.Actor.ID === s.json.ID).map((e) => e.Action), ['create', 'remove']);
  const v55 = parse((await b.request('GET', `/v5.5.0/libpod/events?${q}`)).text);
  assert.deepEqual(v55.filter((e) => e.Actor.ID === s.json.ID).map((e) => e.Action), ['create', 'remove']);
  assert.deepEqual(parse((await b.request('GET', `/v4.3.1/libpod/events?${q}`)).text), []);
  // And podman-remote 4.3 reads the whole log without failing.
  const all = await podmanOk(['events', '--stream=false', '--since', String(since)]);
  assert.ok(!/secret/.test(all));
});
