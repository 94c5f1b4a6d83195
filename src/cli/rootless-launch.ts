// The rootless launcher. A non-root berth runs inside a user namespace (0 = the user, 1.. = the
// user's /etc/subuid and /etc/subgid ranges) and a mount namespace, both held by a pause process
// so that overlay mounts and containers outlive the service: the next service joins the same
// pause process (its pid is in the runroot) instead of making a new one. Joining namespaces needs
// a single-threaded process, which Node never is, so berth re-executes itself in place
// (process.execve: the same PID, so systemd's LISTEN_PID still names it) through nsenter.
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, readlinkSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import { storagePaths } from '../config/paths.js';
import { ROOTLESS_UID_ENV } from '../config/rootless.js';
import { mapArgs, namespaceMap, parseSubIds, type SubIdRange } from '../config/subids.js';
import { findBinary } from '../oci/binaries.js';
import { CliError } from './errors.js';

const PAUSE_PID = 'pause.pid';

/** Where the pause process's pid is kept (also read by /info and the tests). */
export function pausePidFile(runRoot: string): string {
  return join(runRoot, PAUSE_PID);
}

/**
 * Re-executes berth inside the user's namespaces; returns only when it does not (root, or a
 * `join` with no pause process to join: cleanup and healthcheck outside any service's namespace).
 */
export function enterUserNamespace(mode: 'create' | 'join'): void {
  const uid = process.getuid?.() ?? 0;
  if (uid === 0) return;
  const { runRoot } = storagePaths();
  const pidFile = pausePidFile(runRoot);
  let pid = livePause(pidFile);
  if (pid === undefined) {
    if (mode === 'join') return;
    mkdirSync(runRoot, { recursive: true, mode: 0o700 });
    pid = createPause(uid, pidFile);
  }
  const nsenter = findBinary('nsenter');
  if (!nsenter) throw new CliError('nsenter not found: rootless berth joins its user namespace with nsenter (Debian/Ubuntu: apt-get install util-linux)');
  const args = ['nsenter', `--target=${pid}`, '--user', '--mount', '--preserve-credentials', '--', process.execPath, ...process.execArgv, process.argv[1], ...process.argv.slice(2)];
  process.execve!(nsenter, args, { ...process.env, [ROOTLESS_UID_ENV]: String(uid) });
}

/** The pid in the file when it is a live process of ours in a user namespace other than ours. */
export function livePause(pidFile: string): number | undefined {
  let pid: number;
  try {
    pid = Number(readFileSync(pidFile, 'utf8').trim());
  } catch {
    return undefined;
  }
  if (!Number.isSafeInteger(pid) || pid <= 1) return undefined;
  try {
    if (statSync(`/proc/${pid}`).uid !== process.getuid?.()) return undefined;
    if (readlinkSync(`/proc/${pid}/ns/user`) === readlinkSync('/proc/self/ns/user')) return undefined;
    // A pid reused by a zombie or an unrelated process of ours would not be a holder.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    if (/\) Z /.test(stat)) return undefined;
  } catch {
    return undefined;
  }
  return pid;
}

function readRanges(file: string, user: string, uid: number): SubIdRange[] {
  try {
    return parseSubIds(readFileSync(file, 'utf8'), user, uid);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw new CliError(`reading ${file}: ${(e as Error).message}`);
  }
}

/** The text of the error for a user without subordinate ids: names the file and the fix. */
export function missingSubIdsMessage(user: string, uid: number, missing: string[]): string {
  return (
    `no entry for user "${user}" (uid ${uid}) in ${missing.join(' and ')}: rootless berth runs containers in a user namespace ` +
    `mapped from the user's ranges in /etc/subuid and /etc/subgid. Add them as root, e.g. ` +
    `\`usermod --add-subuids 100000-165535 --add-subgids 100000-165535 ${user}\` (pick a range no other user has), then start berth again`
  );
}

function createPause(uid: number, pidFile: string): number {
  const newuidmap = findBinary('newuidmap');
  const newgidmap = findBinary('newgidmap');
  if (!newuidmap || !newgidmap) {
    throw new CliError(
      `${!newuidmap ? 'newuidmap' : 'newgidmap'} not found: rootless berth maps its user namespace from /etc/subuid and /etc/subgid with newuidmap and newgidmap (Debian/Ubuntu: apt-get install uidmap)`,
    );
  }
  const gid = process.getgid?.() ?? uid;
  let user: string;
  try {
    user = userInfo().username;
  } catch {
    user = String(uid);
  }
  const uids = readRanges('/etc/subuid', user, uid);
  const gids = readRanges('/etc/subgid', user, uid);
  const missing = [...(uids.length ? [] : ['/etc/subuid']), ...(gids.length ? [] : ['/etc/subgid'])];
  if (missing.length) throw new CliError(missingSubIdsMessage(user, uid, missing));

  const unshare = findBinary('unshare');
  if (!unshare) throw new CliError('unshare not found: rootless berth makes its user namespace with unshare (Debian/Ubuntu: apt-get install util-linux)');
  const catatonit = findBinary('catatonit');
  const holder = catatonit ? [catatonit, '-P'] : ['sleep', 'infinity'];
  // unshare makes the namespaces and execs the holder: the same pid, which newuidmap maps.
  const child = spawn(unshare, ['--user', '--mount', '--propagation', 'private', '--', ...holder], { detached: true, stdio: 'ignore' });
  child.unref();
  const pid = child.pid;
  if (pid === undefined) throw new CliError(`starting the pause process (${unshare}) failed`);
  const fail = (msg: string): never => {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      /* already gone */
    }
    throw new CliError(msg);
  };
  // newuidmap writes the map of the namespace the pid is in: wait until unshare has made it.
  const own = readlinkSync('/proc/self/ns/user');
  const deadline = Date.now() + 5000;
  const nap = new Int32Array(new SharedArrayBuffer(4));
  for (;;) {
    let ns: string | undefined;
    try {
      ns = readlinkSync(`/proc/${pid}/ns/user`);
    } catch {
      fail(`the pause process (${unshare} --user --mount) exited before making its user namespace: are unprivileged user namespaces allowed (sysctl user.max_user_namespaces)?`);
    }
    if (ns !== own) break;
    if (Date.now() > deadline) fail('the pause process did not make its user namespace within 5 s');
    Atomics.wait(nap, 0, 0, 2);
  }
  for (const [tool, ranges, own] of [
    [newuidmap, uids, uid],
    [newgidmap, gids, gid],
  ] as const) {
    const r = spawnSync(tool, [String(pid), ...mapArgs(namespaceMap(own, ranges))], { encoding: 'utf8', timeout: 10_000 });
    if (r.status !== 0) {
      fail(`${tool} ${pid} failed: ${(r.stderr || r.error?.message || `exit ${r.status}`).trim()} (check the ranges of "${user}" in /etc/subuid and /etc/subgid and that ${tool} is setuid root)`);
    }
  }
  const tmp = `${pidFile}.${process.pid}`;
  writeFileSync(tmp, `${pid}\n`, { mode: 0o600 });
  renameSync(tmp, pidFile);
  return pid;
}
