// The rootless launcher. A non-root berth runs inside a user namespace (0 = the user, 1.. = the
// user's /etc/subuid and /etc/subgid ranges) and a mount namespace, both held by a pause process
// so that overlay mounts and containers outlive the service: the next service joins the same
// pause process (its pid is in the runroot) instead of making a new one. Joining namespaces needs
// a single-threaded process, which Node never is, so berth re-executes itself in place
// (process.execve: the same PID, so systemd's LISTEN_PID still names it) through nsenter.
import { spawn, spawnSync } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readFileSync, readlinkSync, renameSync, rmSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { nativeAddon } from '../lib/native-addon.js';
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
    try {
      mkdirSync(runRoot, { recursive: true, mode: 0o700 });
    } catch (e) {
      throw new CliError(`cannot create the runtime directory ${runRoot}: ${(e as Error).message} (set XDG_RUNTIME_DIR, or --runroot, to a directory of yours)`);
    }
    pid = withPauseLock(pidFile, (lockFd) => livePause(pidFile) ?? createPause(uid, pidFile, lockFd));
  }
  const nsenter = findBinary('nsenter');
  if (!nsenter) throw new CliError('nsenter not found: rootless berth joins its user namespace with nsenter (Debian/Ubuntu: apt-get install util-linux)');
  keepListenFds();
  const args = ['nsenter', `--target=${pid}`, '--user', '--mount', '--preserve-credentials', '--', process.execPath, ...process.execArgv, process.argv[1], ...process.argv.slice(2)];
  process.execve!(nsenter, args, { ...process.env, [ROOTLESS_UID_ENV]: String(uid) });
}

/**
 * systemd's sockets (LISTEN_FDS from fd 3, for this pid) must reach the re-executed berth, but
 * Node marks inherited descriptors close-on-exec: the native addon clears the flag.
 */
function keepListenFds(): void {
  const n = Number(process.env.LISTEN_FDS);
  if (!n || Number(process.env.LISTEN_PID) !== process.pid) return;
  let addon: { keepOnExec?: (fd: number) => void };
  try {
    addon = nativeAddon<typeof addon>('berth-peercred');
  } catch (e) {
    throw new CliError(`socket activation of a rootless berth needs the native addon (native/peercred): run \`npm run setup\` (${(e as Error).message.split('\n')[0]})`);
  }
  if (!addon.keepOnExec) throw new CliError('socket activation of a rootless berth needs the native addon (native/peercred) rebuilt: run `npm run setup`');
  for (let fd = 3; fd < 3 + n; fd++) addon.keepOnExec(fd);
}

/**
 * Two services starting at once must make one pause process: the second waits for the first's
 * (an O_EXCL lock file beside the pid file; one older than a start can take is stale).
 */
function withPauseLock(pidFile: string, make: (lockFd: number) => number): number {
  const lock = `${pidFile}.lock`;
  const nap = new Int32Array(new SharedArrayBuffer(4));
  const deadline = Date.now() + 15_000;
  for (;;) {
    let fd: number | undefined;
    try {
      fd = openSync(lock, 'wx', 0o600);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw new CliError(`creating ${lock}: ${(e as Error).message}`);
    }
    if (fd !== undefined) {
      try {
        return make(fd);
      } finally {
        closeSync(fd);
        rmSync(lock, { force: true });
      }
    }
    const made = livePause(pidFile);
    if (made !== undefined) return made;
    try {
      if (Date.now() - statSync(lock).mtimeMs > 10_000) {
        killUnfinishedPause(lock, pidFile);
        rmSync(lock, { force: true });
      }
    } catch {
      /* released meanwhile */
    }
    if (Date.now() > deadline) throw new CliError(`another berth holds ${lock} without making the pause process: remove it if no berth is starting`);
    Atomics.wait(nap, 0, 0, 20);
  }
}

/**
 * A launcher killed between starting the pause process and writing its pid file left the pid in
 * its lock: that process holds a namespace nobody will join, so it is ended with the stale lock
 * (when it is still ours, in another user namespace, and not the pause process the file names).
 */
function killUnfinishedPause(lock: string, pidFile: string): void {
  let pid: number;
  try {
    pid = Number(readFileSync(lock, 'utf8').trim());
  } catch {
    return;
  }
  if (!Number.isSafeInteger(pid) || pid <= 1 || pid === livePause(pidFile)) return;
  try {
    if (statSync(`/proc/${pid}`).uid !== process.getuid?.()) return;
    if (readlinkSync(`/proc/${pid}/ns/user`) === readlinkSync('/proc/self/ns/user')) return;
    if (!/^(catatonit|sleep|unshare)$/.test(readFileSync(`/proc/${pid}/comm`, 'utf8').trim())) return;
    process.kill(pid, 'SIGKILL');
  } catch {
    /* gone meanwhile */
  }
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

/** The error when newuidmap or newgidmap is not installed: names it and the package. */
export function missingMapToolMessage(tool: string): string {
  return `${tool} not found: rootless berth maps its user namespace from /etc/subuid and /etc/subgid with newuidmap and newgidmap (Debian/Ubuntu: apt-get install uidmap)`;
}

function createPause(uid: number, pidFile: string, lockFd: number): number {
  const newuidmap = findBinary('newuidmap');
  const newgidmap = findBinary('newgidmap');
  if (!newuidmap || !newgidmap) throw new CliError(missingMapToolMessage(!newuidmap ? 'newuidmap' : 'newgidmap'));
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
  // Until the pid file names it, the lock does: a launcher killed from here on leaves it findable.
  writeSync(lockFd, `${pid}\n`);
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
