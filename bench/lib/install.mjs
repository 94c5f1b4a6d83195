// Installs the engines to compare when missing (Debian packages; bench only, never needed by
// berth or its tests) and makes sure the packages' own services are not left running.
import { existsSync, realpathSync } from 'node:fs';
import { sh, log, firstLine, req } from './util.mjs';

const PKG = { podman: { bin: '/usr/bin/podman', pkg: 'podman' }, dockerd: { bin: '/usr/sbin/dockerd', pkg: 'docker.io' } };

async function aptInstall(pkg) {
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const args = ['install', '-y', '-q', '-o', 'DPkg::Lock::Timeout=300', pkg];
  let r = await sh('apt-get', args, { env, timeoutMs: 900_000 });
  if (r.code !== 0) {
    await sh('apt-get', ['update', '-q', '-o', 'DPkg::Lock::Timeout=300'], { env, timeoutMs: 600_000 });
    r = await sh('apt-get', args, { env, timeoutMs: 900_000 });
  }
  return r;
}

/** The Debian docker.io package may start dockerd/containerd: stop and disable them. */
async function quietDockerPackage() {
  if (existsSync('/run/systemd/system')) {
    await sh('systemctl', ['disable', '--now', 'docker.socket', 'docker.service', 'containerd.service'], { timeoutMs: 60_000 });
  } else if (existsSync('/etc/init.d/docker')) {
    await sh('/etc/init.d/docker', ['stop'], { timeoutMs: 60_000 });
  }
  try {
    const r = await req('/var/run/docker.sock', 'GET', '/_ping', undefined, { timeoutMs: 2000, fresh: true });
    if (r.status === 200) log('warning: a dockerd still answers on /var/run/docker.sock (not started by the bench)');
  } catch {
    /* nothing listening: good */
  }
}

/** Returns { name: reason } for engines that could not be installed. */
export async function ensureEngines(names, { install = true } = {}) {
  const missing = {};
  for (const n of names) {
    const p = PKG[n];
    if (!p || existsSync(p.bin)) continue;
    if (!install) {
      missing[n] = `${p.pkg} is not installed`;
      continue;
    }
    if (process.getuid?.() !== 0) {
      missing[n] = `${p.pkg} is not installed (run as root to install it)`;
      continue;
    }
    log(`installing ${p.pkg} (apt-get)`);
    const r = await aptInstall(p.pkg);
    if (r.code !== 0 || !existsSync(p.bin)) missing[n] = `apt-get install ${p.pkg} failed: ${firstLine(r.stderr || r.stdout)}`;
    if (n === 'dockerd') await quietDockerPackage();
  }
  // The tests' docker CLI must stay the one in /usr/local/bin (docker.io puts its own in /usr/bin).
  if (!existsSync('/usr/local/bin/docker')) throw new Error('/usr/local/bin/docker (the docker CLI) is missing');
  return missing;
}

export async function dockerCliVersion() {
  const r = await sh('/usr/local/bin/docker', ['version', '--format', '{{.Client.Version}}'], { env: { ...process.env, DOCKER_HOST: 'unix:///nonexistent' } });
  return r.stdout.trim() || realpathSync('/usr/local/bin/docker');
}
