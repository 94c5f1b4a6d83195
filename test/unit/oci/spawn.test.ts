// The monitor spawn (oci/spawn.ts, the peercred addon's clone without a copy of the service): the
// child gets exactly the fds, env, directory, session and signal state asked for, and is reaped.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, realpathSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { spawnDetached } from '../../../src/oci/spawn.js';
import { startConmon } from '../../../src/oci/conmon.js';

const dir = realpathSync(mkdtempSync(join(tmpdir(), 'berth-spawn-')));
after(() => rmSync(dir, { recursive: true, force: true }));

const text = (s: Readable) =>
  new Promise<string>((resolve) => {
    let t = '';
    s.on('data', (d: Buffer) => (t += d.toString()));
    s.on('end', () => resolve(t));
  });

const gone = async (pid: number) => {
  // A zombie still has its /proc entry: gone means reaped.
  for (let i = 0; i < 200 && existsSync(`/proc/${pid}`); i++) await new Promise((r) => setTimeout(r, 10));
  return !existsSync(`/proc/${pid}`);
};

test('the child: pipes on the asked fds, exactly the env given, cwd, own session, default signals; reaped', async () => {
  // Not one command (sh would exec it in place): $$ stays the shell.
  const script = [
    'read line <&4',
    'echo "got=$line" >&3',
    'echo to-stderr >&2',
    'echo "pid=$$" >&3',
    'echo "sid=$(cut -d" " -f6 /proc/$$/stat)" >&3',
    // Read by builtins: a command the shell forks (grep) would see the mask dash blocks while forking.
    'while read -r l; do case "$l" in SigIgn:*|SigBlk:*) echo "$l" >&3;; esac; done </proc/$$/status',
    'echo "cwd=$(pwd)" >&3',
    'echo "fd0=$(readlink /proc/$$/fd/0) fd1=$(readlink /proc/$$/fd/1)" >&3',
    'env >&3',
    'exit 0',
  ].join('\n');
  const c = spawnDetached('/bin/sh', ['-c', script], { env: { ONLY: 'this one' }, cwd: dir, stdio: ['ignore', 'ignore', 'read', 'read', 'write'] });
  let failed: Error | undefined;
  c.onError((e) => (failed = e));
  assert.ok(c.pid && c.pid > 0);
  assert.equal(c.stdio[0], null);
  assert.equal(c.stdio[1], null);
  const out = text(c.stdio[3] as Readable);
  const err = text(c.stdio[2] as Readable);
  (c.stdio[4] as Writable).end('hello\n');
  const o = await out;
  assert.equal(failed, undefined);
  assert.match(o, /^got=hello$/m);
  assert.match(await err, /to-stderr/);
  assert.match(o, new RegExp(`^pid=${c.pid}$`, 'm'));
  assert.match(o, new RegExp(`^sid=${c.pid}$`, 'm'), 'leads its own session');
  // Node ignores SIGPIPE; nothing of that (nor glibc's internal signals) reaches the child.
  assert.match(o, /^SigIgn:\s+0+$/m);
  assert.match(o, /^SigBlk:\s+0+$/m);
  assert.match(o, new RegExp(`^cwd=${dir}$`, 'm'));
  assert.match(o, /^fd0=\/dev\/null fd1=\/dev\/null$/m);
  assert.match(o, /^ONLY=this one$/m);
  assert.doesNotMatch(o, /^PATH=/m, 'only the env given');
  assert.equal(await gone(c.pid!), true, 'the child is reaped, not left a zombie');
});

test('a binary that cannot run: the error names the errno, the streams end', async () => {
  const c = spawnDetached(join(dir, 'no-such-binary'), [], { env: {}, cwd: dir, stdio: ['ignore', 'ignore', 'read', 'write'] });
  assert.equal(c.pid, undefined);
  const e = await new Promise<Error>((r) => c.onError(r));
  assert.equal((e as NodeJS.ErrnoException).code, 'ENOENT');
  assert.equal(await text(c.stdio[2] as Readable), '');
});

test('conmon that cannot run: the start fails with the reason', async () => {
  const bundle = join(dir, 'bundle');
  await assert.rejects(
    startConmon({
      conmonPath: join(dir, 'no-conmon'), runtimePath: '/bin/false', runtimeArgs: [], id: 'a'.repeat(64), name: 'x', bundle: dir,
      pidFile: join(bundle, 'pidfile'), conmonPidFile: join(bundle, 'conmon.pid'), exitDir: dir, logPath: undefined,
      terminal: false, stdin: false, stdinOnce: false, exitCommand: [],
    }),
    /cannot run conmon: no such file or directory/i,
  );
});
