// The rootless launcher as an unprivileged user: the service runs in a user namespace held by a
// pause process (uid 0 inside), keeps its pid across the re-exec, the next instance joins the
// same pause process, and a user without /etc/subuid and /etc/subgid entries gets the fix.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readlinkSync } from 'node:fs';
import { NOSUB_USER, startRootlessBerth, type RootlessBerth } from '../support/rootless.js';

const started: RootlessBerth[] = [];
after(async () => {
  for (const b of started) await b.cleanup();
});

test('a non-root service runs in a user namespace held by a pause process, in the same pid', async () => {
  const b = await startRootlessBerth();
  started.push(b);
  const pid = b.proc.pid!;
  const pause = b.pausePid();
  assert.ok(pause, 'pause pid file written under the runroot');
  // The spawned pid is berth itself (execve in place), inside the pause process's namespaces.
  assert.equal(readlinkSync(`/proc/${pid}/ns/user`), readlinkSync(`/proc/${pause}/ns/user`));
  assert.equal(readlinkSync(`/proc/${pid}/ns/mnt`), readlinkSync(`/proc/${pause}/ns/mnt`));
  assert.match(readFileSync(`/proc/${pid}/cmdline`, 'utf8'), /berth\.js\0system\0service/);
  const uidMap = readFileSync(`/proc/${pid}/uid_map`, 'utf8').trim().split('\n').map((l) => l.trim().split(/\s+/).map(Number));
  assert.deepEqual(uidMap, [
    [0, b.user.uid, 1],
    [1, b.user.sub!.start, b.user.sub!.count],
  ]);
  assert.equal((await b.request('GET', '/_ping')).status, 200);

  // The next instance joins the same pause process.
  await b.stop();
  await b.restart();
  assert.equal(b.pausePid(), pause);
  assert.equal(readlinkSync(`/proc/${b.proc.pid}/ns/user`), readlinkSync(`/proc/${pause}/ns/user`));
});

test('a user with no /etc/subuid and /etc/subgid entry gets an error naming them and the fix', async () => {
  const b = await startRootlessBerth({ user: NOSUB_USER, wait: false });
  started.push(b);
  const code = await b.exited;
  assert.notEqual(code, 0);
  assert.match(b.stderr(), new RegExp(`no entry for user "${NOSUB_USER.name}" \\(uid \\d+\\) in /etc/subuid and /etc/subgid`));
  assert.match(b.stderr(), new RegExp(`usermod --add-subuids \\d+-\\d+ --add-subgids \\d+-\\d+ ${NOSUB_USER.name}`));
  assert.equal(b.pausePid(), undefined);
});
