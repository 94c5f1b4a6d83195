// Rootless berth end to end, with the docker CLI run as the unprivileged user: uid 0 inside mapped
// to the user and its /etc/subuid range outside (bind mounts, image layers on disk), the
// container commands, containers that outlive the service, limits that become warnings, and
// /info and /libpod/info as podman and docker report rootless.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { chownSync, existsSync, mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { FIXTURES, waitFor } from '../../helpers/berth.js';
import { startRootlessBerth, type RootlessBerth } from '../support/rootless.js';

let b: RootlessBerth;
const ok = (args: string[], opts?: { input?: string | Buffer; timeoutMs?: number }) => b.dockerOk(args, opts);
const NONE = ['--network', 'none'];
/** The host id of a uid inside the namespace: 0 is the user, N the subuid range's start + N - 1. */
const hostUid = (n: number) => (n === 0 ? b.user.uid : b.user.sub!.start + n - 1);

before(async () => {
  b = await startRootlessBerth();
  await ok(['load', '-i', join(FIXTURES, 'busybox-legacy.tar')]);
  await ok(['load', '-i', join(FIXTURES, 'layered-oci.tar')]);
});
after(async () => {
  await b?.cleanup();
});

test('docker run --rm busybox id: uid 0 inside, with the default network, none and host', async () => {
  for (const net of [[], NONE, ['--network', 'host']]) {
    const out = await ok(['run', '--rm', ...net, 'busybox', 'id']);
    assert.match(out, /^uid=0\(root\) gid=0\(root\)/, `network ${net.join(' ') || 'default'}`);
  }
  // Inside, the container's root is the user outside and 1.. its subordinate range.
  const map = (await ok(['run', '--rm', ...NONE, 'busybox', 'cat', '/proc/self/uid_map'])).trim().split('\n').map((l) => l.trim().split(/\s+/).map(Number));
  assert.deepEqual(map, [
    [0, b.user.uid, 1],
    [1, b.user.sub!.start, b.user.sub!.count],
  ]);
  // The host's network: its interfaces are there (more than loopback).
  const ifaces = await ok(['run', '--rm', '--network', 'host', 'busybox', 'cat', '/proc/net/dev']);
  assert.ok(ifaces.split('\n').length > 4, ifaces);
});

test('files made in a bind mount belong to the user outside (root) and to its subuids (others)', async () => {
  const dir = join(b.dir, 'bind');
  mkdirSync(dir);
  chownSync(dir, b.user.uid, b.user.gid);
  await ok(['run', '--rm', ...NONE, '-v', `${dir}:/w`, 'busybox', 'sh', '-c', 'echo hi > /w/root-file && mkdir /w/d && chown 5:6 /w/d']);
  const f = statSync(join(dir, 'root-file'));
  assert.equal(f.uid, b.user.uid);
  assert.equal(f.gid, b.user.gid);
  assert.equal(readFileSync(join(dir, 'root-file'), 'utf8'), 'hi\n');
  const d = statSync(join(dir, 'd'));
  assert.equal(d.uid, hostUid(5));
  assert.equal(d.gid, b.user.sub!.start + 5);
});

test('image layers unpack with their owners mapped: uid N on disk is subuid start + N - 1; whiteouts and opaque dirs hold', async () => {
  const overlay = join(b.root, 'overlay');
  const owned = readdirSync(overlay).map((l) => join(overlay, l, 'diff', 'owned')).find((p) => existsSync(p));
  assert.ok(owned, 'the layered fixture has /owned (uid 1000) in a layer');
  assert.equal(statSync(owned).uid, hostUid(1000));
  assert.equal(statSync(owned).gid, hostUid(1000));
  // user.overlay.opaque and the whiteouts, as the kernel's overlay reads them with userxattr.
  const out = await ok(['run', '--rm', ...NONE, 'berth-layered', 'sh', '-c', 'ls /opq; ls /data; ls /etc/old.conf 2>&1; stat -c %u:%g /owned']);
  assert.match(out, /^new\n/);
  assert.doesNotMatch(out, /gone/);
  assert.match(out, /No such file/);
  assert.match(out, /1000:1000/);
});

test('exec, logs, attach, cp, top, diff, commit, stop and kill', async () => {
  const id = (await ok(['run', '-d', ...NONE, '--name', 'rl-core-main', 'busybox', 'sh', '-c', 'echo started; trap "exit 7" TERM; while :; do sleep 0.1; done'])).trim();
  assert.match(id, /^[0-9a-f]{64}$/);
  assert.ok(await waitFor(async () => (await b.docker(['logs', 'rl-core-main'])).stdout.includes('started')));
  assert.equal((await ok(['exec', 'rl-core-main', 'id', '-u'])).trim(), '0');
  assert.equal((await ok(['exec', '-u', '1000', 'rl-core-main', 'id', '-u'])).trim(), '1000');
  await ok(['exec', 'rl-core-main', 'sh', '-c', 'mkdir /made && echo x > /made/f && rm /bin/ls']);

  const top = await ok(['top', 'rl-core-main']);
  assert.match(top, /sh -c echo started/);
  // Only the container's processes, not the host's.
  assert.ok(top.trim().split('\n').length < 10, top);

  const src = join(b.dir, 'cp-in.txt');
  writeFileSync(src, 'copied in\n');
  chownSync(src, b.user.uid, b.user.gid);
  await ok(['cp', src, 'rl-core-main:/made/in.txt']);
  assert.equal((await ok(['exec', 'rl-core-main', 'cat', '/made/in.txt'])).trim(), 'copied in');
  const out = join(b.home, 'cp-out');
  await ok(['cp', 'rl-core-main:/made/f', out]);
  assert.equal(readFileSync(out, 'utf8'), 'x\n');
  assert.equal(statSync(out).uid, b.user.uid);

  const diff = (await ok(['diff', 'rl-core-main'])).split('\n');
  assert.ok(diff.includes('A /made'), diff.join('\n'));
  assert.ok(diff.includes('D /bin/ls'), diff.join('\n'));
  await ok(['commit', 'rl-core-main', 'rl-core-committed']);
  const committed = await ok(['run', '--rm', ...NONE, 'rl-core-committed', 'sh', '-c', 'cat /made/f; ls /bin/ls 2>&1 || true']);
  assert.match(committed, /^x\n.*No such file/s);

  // attach: what the container prints after attaching reaches the client.
  await ok(['run', '-d', ...NONE, '--name', 'rl-core-attach', 'busybox', 'sh', '-c', 'sleep 1; echo attached-output']);
  const att = await b.docker(['attach', 'rl-core-attach'], { timeoutMs: 20_000 });
  assert.match(att.stdout, /attached-output/);

  await ok(['stop', '-t', '5', 'rl-core-main']);
  assert.equal((await ok(['inspect', '-f', '{{.State.ExitCode}}', 'rl-core-main'])).trim(), '7');
  await ok(['run', '-d', ...NONE, '--name', 'rl-core-kill', 'busybox', 'sleep', '100']);
  await ok(['kill', 'rl-core-kill']);
  assert.equal((await ok(['wait', 'rl-core-kill'])).trim(), '137');
  await ok(['rm', 'rl-core-main', 'rl-core-attach', 'rl-core-kill']);
});

test('a container outlives the service; the next instance joins the same pause process, sees it running, stops it and gets its exit code', async () => {
  await ok(['run', '-d', ...NONE, '--name', 'rl-core-survivor', 'busybox', 'sh', '-c', 'trap "exit 3" TERM; while :; do sleep 0.1; done']);
  const pid = Number((await ok(['inspect', '-f', '{{.State.Pid}}', 'rl-core-survivor'])).trim());
  const pause = b.pausePid();
  await b.stop();
  assert.ok(existsSync(`/proc/${pid}`), 'the container still runs without the service');
  await b.restart();
  assert.equal(b.pausePid(), pause);
  assert.equal((await ok(['inspect', '-f', '{{.State.Status}} {{.State.Pid}}', 'rl-core-survivor'])).trim(), `running ${pid}`);
  assert.equal((await ok(['exec', 'rl-core-survivor', 'echo', 'still here'])).trim(), 'still here');
  await ok(['stop', 'rl-core-survivor']);
  assert.equal((await ok(['inspect', '-f', '{{.State.Status}} {{.State.ExitCode}}', 'rl-core-survivor'])).trim(), 'exited 3');
  await ok(['rm', 'rl-core-survivor']);
});

test('a container that exits while no service runs: conmon\'s exit command (berth container cleanup) records it inside the namespace', async () => {
  const id = (await ok(['run', '-d', ...NONE, '--name', 'rl-core-exiter', 'busybox', 'sh', '-c', 'sleep 1; exit 4'])).trim();
  const pid = Number((await ok(['inspect', '-f', '{{.State.Pid}}', 'rl-core-exiter'])).trim());
  await b.stop();
  assert.ok(await waitFor(() => !existsSync(`/proc/${pid}`), 15_000));
  // `berth container cleanup` (conmon's exit command) records the exit, removes the exit file and
  // unmounts the root: in the pause process's mount namespace, seen through its /proc root.
  const exitFile = join(b.runRoot, 'exits', id);
  const merged = `/proc/${b.pausePid()}/root${join(b.runRoot, 'containers', id, 'merged', 'bin')}`;
  assert.ok(await waitFor(() => !existsSync(exitFile) && !existsSync(merged), 15_000), 'cleanup ran in the namespace without a service');
  await b.restart();
  assert.ok(await waitFor(async () => (await ok(['inspect', '-f', '{{.State.Status}} {{.State.ExitCode}}', 'rl-core-exiter'])).trim() === 'exited 4', 15_000));
  await ok(['rm', 'rl-core-exiter']);
});

test('a memory limit (and others) is a Warning at create, compat and libpod; the container runs', async () => {
  const r = await b.docker(['run', '--rm', ...NONE, '-m', '64m', '--pids-limit', '50', 'busybox', 'echo', 'limited']);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout.trim(), 'limited');
  assert.match(r.stderr, /WARNING: Resource limits \(memory, pids\) are not applied: rootless berth cannot set cgroup limits/);

  const compat = await b.request('POST', '/v1.41/containers/create?name=rl-core-lim', { Image: 'busybox', Cmd: ['true'], HostConfig: { Memory: 64 << 20, NanoCpus: 5e8, NetworkMode: 'none' } });
  assert.equal(compat.status, 201, compat.text);
  assert.ok(compat.json.Warnings.some((w: string) => /Resource limits \(memory, cpus\) are not applied/.test(w)), compat.text);
  const libpod = await b.request('POST', '/v4.0.0/libpod/containers/create', { name: 'rl-core-lim2', image: 'busybox', command: ['true'], resource_limits: { memory: { limit: 64 << 20 } }, netns: { nsmode: 'none' } });
  assert.equal(libpod.status, 201, libpod.text);
  assert.ok(libpod.json.Warnings.some((w: string) => /Resource limits \(memory\) are not applied/.test(w)), libpod.text);
  await b.request('POST', `/v4.0.0/libpod/containers/${libpod.json.Id}/start`);
  assert.equal((await b.request('POST', `/v4.0.0/libpod/containers/${libpod.json.Id}/wait`)).text.trim(), '0');
  await ok(['rm', '-f', 'rl-core-lim', 'rl-core-lim2']);
});

test('a user the namespace does not map (--user 70000) is the container\'s error naming the mapped range, not the runtime\'s', async () => {
  const r = await b.docker(['run', '--rm', ...NONE, '--user', '70000', 'busybox', 'id']);
  assert.equal(r.code, 125, r.stderr);
  assert.match(r.stderr, /uid 70000 is not mapped in berth's user namespace \(it maps 0-65536/);
  const g = await b.docker(['run', '--rm', ...NONE, '--user', '0:70000', 'busybox', 'id']);
  assert.equal(g.code, 125, g.stderr);
  assert.match(g.stderr, /gid 70000 is not mapped/);
  // Within the range it runs as that id.
  assert.match(await ok(['run', '--rm', ...NONE, '--user', '65536', 'busybox', 'id', '-u']), /^65536$/m);
});

test('update with limits stores them with a Warning; stats read no cgroup that is not the container\'s', async () => {
  await ok(['run', '-d', ...NONE, '--name', 'rl-core-upd', 'busybox', 'sleep', '100']);
  const u = await b.request('POST', '/v1.41/containers/rl-core-upd/update', { Memory: 100 << 20, MemorySwap: 200 << 20 });
  assert.equal(u.status, 200, u.text);
  assert.ok(u.json.Warnings.some((w: string) => /Resource limits \(memory\) are not applied/.test(w)), u.text);
  assert.equal((await ok(['inspect', '-f', '{{.HostConfig.Memory}}', 'rl-core-upd'])).trim(), String(100 << 20));
  const st = (await b.request('GET', '/v1.41/containers/rl-core-upd/stats?stream=false')).json;
  assert.equal(st.memory_stats.usage ?? 0, 0);
  await ok(['rm', '-f', 'rl-core-upd']);
});

test('podman-remote as the user: a pod and a container in it', async () => {
  const podman = (args: string[]) => b.runAs('podman', ['--url', `unix://${b.socket}`, ...args], { timeoutMs: 60_000 });
  // A pod limit cannot be applied here (no delegated cgroup tree): not kept, so inspect tells the truth.
  const pod = await podman(['pod', 'create', '--name', 'rl-core-pod', '--memory', '64m']);
  assert.equal(pod.code, 0, pod.stderr);
  const seen = JSON.parse((await podman(['pod', 'inspect', 'rl-core-pod'])).stdout);
  const inspected = Array.isArray(seen) ? seen[0] : seen;
  assert.equal(inspected.memory_limit, undefined, JSON.stringify(inspected));
  const r = await podman(['run', '--rm', '--pod', 'rl-core-pod', 'busybox', 'id', '-u']);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout.trim(), '0');
  assert.equal((await podman(['pod', 'rm', '-f', 'rl-core-pod'])).code, 0);
});

test('/info and /libpod/info report rootless, the ID mappings and the cgroup facts', async () => {
  const info = (await b.request('GET', '/v1.41/info')).json;
  assert.ok(info.SecurityOptions.includes('name=rootless'), JSON.stringify(info.SecurityOptions));
  assert.equal(info.DockerRootDir, b.root);
  assert.equal(info.CgroupVersion, readFileSync('/proc/self/mountinfo', 'utf8').includes(' /sys/fs/cgroup rw') && /cgroup2 /.test(readFileSync('/proc/self/mountinfo', 'utf8').split('\n').find((l) => l.includes(' /sys/fs/cgroup ')) ?? '') ? '2' : '1');
  // No cgroup tree is delegated on this machine: no limits, said so.
  assert.equal(info.CgroupDriver, 'none');
  assert.equal(info.MemoryLimit, false);
  assert.equal(info.PidsLimit, false);
  assert.ok(info.Warnings.some((w: string) => /rootless mode without cgroups/.test(w)), JSON.stringify(info.Warnings));
  const cli = await ok(['info', '--format', '{{json .SecurityOptions}}']);
  assert.match(cli, /name=rootless/);

  const lp = (await b.request('GET', '/v4.0.0/libpod/info')).json;
  assert.equal(lp.host.security.rootless, true);
  const m = [
    { container_id: 0, host_id: b.user.uid, size: 1 },
    { container_id: 1, host_id: b.user.sub!.start, size: b.user.sub!.count },
  ];
  assert.deepEqual(lp.host.idMappings.uidmap, m);
  assert.deepEqual(lp.host.idMappings.gidmap, [{ ...m[0], host_id: b.user.gid }, m[1]]);
  assert.deepEqual(lp.host.cgroupControllers, []);
  assert.equal(lp.store.graphRoot, b.root);
  assert.equal(lp.store.runRoot, b.runRoot);
  // The kernel's overlay mounts here: no mount program, native diffs.
  assert.deepEqual(lp.store.graphOptions, {});
  assert.equal(lp.store.graphStatus['Native Overlay Diff'], 'true');
  assert.ok(info.DriverStatus.some(([k, v]: string[]) => k === 'Native Overlay Diff' && v === 'true'), JSON.stringify(info.DriverStatus));
  assert.ok(!info.DriverStatus.some(([k]: string[]) => k === 'Mount Program'), JSON.stringify(info.DriverStatus));
});

test('fuse-overlayfs when forced (BERTH_ROOTLESS_OVERLAY=fuse): layers, whiteouts, opaque dirs, diff and commit', async () => {
  const f = await startRootlessBerth({ env: { BERTH_ROOTLESS_OVERLAY: 'fuse' } });
  try {
    await f.dockerOk(['load', '-i', join(FIXTURES, 'layered-oci.tar')]);
    await f.dockerOk(['run', '-d', ...NONE, '--name', 'rl-core-fuse', 'berth-layered', 'sh', '-c', 'rm -rf /opq && mkdir /opq && echo n > /opq/mine && rm /data/keep && sleep 100']);
    const pid = Number((await f.dockerOk(['inspect', '-f', '{{.State.Pid}}', 'rl-core-fuse'])).trim());
    assert.ok(await waitFor(async () => !(await f.dockerOk(['exec', 'rl-core-fuse', 'ls', '/data'])).includes('keep')));
    const root = readFileSync(`/proc/${pid}/mountinfo`, 'utf8').split('\n').find((l) => l.split(' ')[4] === '/');
    assert.match(root ?? '', / - fuse\.fuse-overlayfs /);
    const seen = await f.dockerOk(['exec', 'rl-core-fuse', 'sh', '-c', 'ls -a /opq; ls /data; stat -c %u /owned']);
    assert.match(seen, /^\.\n\.\.\nmine\n/);
    assert.match(seen, /1000/);
    const diff = (await f.dockerOk(['diff', 'rl-core-fuse'])).split('\n').filter(Boolean);
    assert.ok(diff.includes('C /opq') && diff.includes('A /opq/mine') && diff.includes('D /data/keep'), diff.join('\n'));
    assert.ok(!diff.some((l) => l.includes('.wh.')), `fuse-overlayfs's own markers are not changes: ${diff.join('\n')}`);
    await f.dockerOk(['commit', 'rl-core-fuse', 'rl-core-fuse-img']);
    const out = await f.dockerOk(['run', '--rm', ...NONE, 'rl-core-fuse-img', 'sh', '-c', 'ls -a /opq; ls /data']);
    assert.match(out, /^\.\n\.\.\nmine\n/);
    assert.doesNotMatch(out, /keep/);
    // /info says who mounts the layers, as podman does under fuse-overlayfs.
    const info = (await f.request('GET', '/v1.41/info')).json;
    assert.ok(info.DriverStatus.some(([k, v]: string[]) => k === 'Mount Program' && /fuse-overlayfs$/.test(v)), JSON.stringify(info.DriverStatus));
    assert.ok(info.DriverStatus.some(([k, v]: string[]) => k === 'Native Overlay Diff' && v === 'false'), JSON.stringify(info.DriverStatus));
    const lp = (await f.request('GET', '/v4.0.0/libpod/info')).json;
    const prog = lp.store.graphOptions['overlay.mount_program'];
    assert.match(prog.Executable, /fuse-overlayfs$/);
    assert.match(prog.Package, /^fuse-overlayfs_/);
    assert.match(prog.Version, /fuse-overlayfs/);
    assert.equal(lp.store.graphStatus['Native Overlay Diff'], 'false');
  } finally {
    await f.cleanup();
  }
});
