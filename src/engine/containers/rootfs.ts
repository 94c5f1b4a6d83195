import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { StoragePaths } from '../../config/paths.js';
import { privateDir } from '../../lib/private-fs.js';
import { unmappedIdProblem } from '../../config/id-range.js';
import { splitExtraHost } from './config-checks.js';
import { mountOverlay, unmount } from '../../storage/overlay.js';

/** Where one container's files live: persistent data under root, mounts and bundle under runRoot. */
export interface ContainerDirs {
  /** root/containers/ID: upper, work, userdata (hosts, hostname, resolv.conf, log). */
  base: string;
  upper: string;
  work: string;
  userdata: string;
  logPath: string;
  /** runRoot/containers/ID: merged rootfs, OCI bundle (config.json, attach, pidfiles). */
  run: string;
  merged: string;
  bundle: string;
  exitFile: string;
}

export function containerDirs(p: StoragePaths, id: string): ContainerDirs {
  const base = join(p.root, 'containers', id);
  const run = join(p.runRoot, 'containers', id);
  return {
    base,
    upper: join(base, 'upper'),
    work: join(base, 'work'),
    userdata: join(base, 'userdata'),
    logPath: join(base, 'userdata', 'ctr.log'),
    run,
    merged: join(run, 'merged'),
    bundle: join(run, 'bundle'),
    exitFile: join(exitDir(p), id),
  };
}

export const exitDir = (p: StoragePaths) => join(p.runRoot, 'exits');
export const runtimeStateDir = (p: StoragePaths) => join(p.runRoot, 'runtime');

/** Mount points below `prefix`, from one read of /proc/self/mountinfo. */
export function mountPoints(prefix: string): Set<string> {
  const out = new Set<string>();
  try {
    for (const l of readFileSync('/proc/self/mountinfo', 'utf8').split('\n')) {
      const p = (l.split(' ')[4] ?? '').replace(/\\([0-7]{3})/g, (_m, o: string) => String.fromCharCode(parseInt(o, 8)));
      if (p.startsWith(prefix)) out.add(p);
    }
  } catch {
    /* no mountinfo: nothing to clean */
  }
  return out;
}

/** Mounted? Read from /proc/self/mountinfo (no process spawned). */
export function isMounted(path: string): boolean {
  try {
    const mi = readFileSync('/proc/self/mountinfo', 'utf8');
    const esc = path.replace(/[ \t\n\\]/g, (c) => `\\${c.charCodeAt(0).toString(8).padStart(3, '0')}`);
    return mi.split('\n').some((l) => l.split(' ')[4] === esc);
  } catch {
    return false;
  }
}

/** Mounts the container's overlay root (idempotent: a mounted root is reused). */
export async function mountRootfs(d: ContainerDirs, lower: { cwd?: string; lower: string }): Promise<void> {
  // The container's own dirs are private; upper keeps the default mode: it is the root dir the
  // container's processes see.
  privateDir(d.base);
  privateDir(d.run);
  mkdirSync(d.upper, { recursive: true });
  mkdirSync(d.work, { recursive: true });
  mkdirSync(d.merged, { recursive: true });
  if (isMounted(d.merged)) return;
  await mountOverlay({ lower: lower.lower, cwd: lower.cwd, upper: d.upper, work: d.work, target: d.merged });
}

/**
 * An image mount: an overlay of the image's layers at `m.source` (under the container's run dir),
 * read-only (an empty dir below them: overlay wants two lower dirs without an upper), or
 * writable with its upper dir among the container's files. Idempotent.
 */
export async function mountImage(m: { source: string; readOnly: boolean }, lower: { cwd?: string; lower: string }, d: ContainerDirs): Promise<void> {
  mkdirSync(m.source, { recursive: true });
  if (isMounted(m.source)) return;
  const name = m.source.split('/').pop()!;
  if (m.readOnly) {
    const empty = join(d.run, 'image-mounts', 'empty');
    mkdirSync(empty, { recursive: true });
    await mountOverlay({ lower: `${lower.lower}:${empty}`, cwd: lower.cwd, target: m.source });
    return;
  }
  const upper = join(d.base, 'image-mounts', name, 'upper');
  const work = join(d.base, 'image-mounts', name, 'work');
  mkdirSync(upper, { recursive: true });
  mkdirSync(work, { recursive: true });
  await mountOverlay({ lower: lower.lower, cwd: lower.cwd, upper, work, target: m.source });
}

async function unmountOne(path: string): Promise<void> {
  try {
    await unmount(path);
  } catch (e) {
    if (!isMounted(path)) return;
    // Busy (a process still holds it): detach lazily so removal can go on.
    await unmount(path, true).catch(() => {
      throw e;
    });
  }
}

export async function unmountRootfs(d: ContainerDirs): Promise<void> {
  // Image mounts first: nothing may remove the container's dirs while an image's layers are mounted there.
  const images = join(d.run, 'image-mounts');
  if (existsSync(images)) for (const p of [...mountPoints(images)].sort().reverse()) await unmountOne(p);
  if (isMounted(d.merged)) await unmountOne(d.merged);
}

/**
 * Removes the container's dirs, on the libuv pool: rmSync held the event loop ~2-5 ms per removal
 * here (ext4 unlinks of two dozen entries, more while the disk is busy), after every --rm run.
 */
export async function removeDirs(d: ContainerDirs): Promise<void> {
  await Promise.all([rm(d.run, { recursive: true, force: true }), rm(d.base, { recursive: true, force: true })]);
}

export interface EtcFilesInput {
  hostname: string;
  domainname: string;
  hostNetwork: boolean;
  extraHosts: string[];
  dns: string[];
  dnsSearch: string[];
  dnsOptions: string[];
  /** The container's own addresses on its networks (none: loopback only). */
  addresses?: string[];
  /** Resolvers of its networks (aardvark-dns): these replace the host's. */
  nameservers?: string[];
  /** Its first network's gateway: what docker's `host-gateway` in --add-host stands for. */
  gateway?: string;
}

function hostResolv(): string {
  try {
    return readFileSync('/etc/resolv.conf', 'utf8');
  } catch {
    return '';
  }
}

/** Writes hosts, hostname and resolv.conf into userdata; they are bind-mounted at start. */
export function writeEtcFiles(d: ContainerDirs, i: EtcFilesInput): { hosts: string; hostname: string; resolv: string } {
  privateDir(d.userdata);
  const fqdn = i.domainname ? `${i.hostname}.${i.domainname}` : i.hostname;
  let hosts = '';
  if (i.hostNetwork) {
    try {
      hosts = readFileSync('/etc/hosts', 'utf8');
      if (!hosts.endsWith('\n')) hosts += '\n';
    } catch {
      hosts = '127.0.0.1\tlocalhost\n';
    }
  } else {
    hosts = '127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\nfe00::0\tip6-localnet\nff00::0\tip6-mcastprefix\nff02::1\tip6-allnodes\nff02::2\tip6-allrouters\n';
  }
  for (const e of i.extraHosts) {
    const h = splitExtraHost(e);
    if (h) hosts += `${h.ip === 'host-gateway' ? i.gateway || '127.0.0.1' : h.ip}\t${h.name}\n`;
  }
  // Without a container IP the own name resolves to loopback (podman does the same for --network none).
  const own = i.hostNetwork ? ['127.0.1.1'] : i.addresses?.length ? i.addresses : ['127.0.0.1'];
  for (const a of own) hosts += `${a}\t${fqdn}${fqdn !== i.hostname ? ` ${i.hostname}` : ''}\n`;

  let resolv = '';
  const host = hostResolv().split('\n');
  const ns = i.dns.length ? i.dns : host.filter((l) => /^\s*nameserver\s/.test(l)).map((l) => l.trim().split(/\s+/)[1]);
  // A host-loopback resolver is unreachable from a private network namespace. A network's own
  // resolver answers for its containers and forwards the rest (to --dns servers, when given).
  const usable = i.nameservers?.length ? i.nameservers : i.hostNetwork ? ns : ns.filter((n) => !n.startsWith('127.') && n !== '::1');
  const search = i.dnsSearch.length ? i.dnsSearch : host.filter((l) => /^\s*search\s/.test(l)).flatMap((l) => l.trim().split(/\s+/).slice(1));
  const options = i.dnsOptions.length ? i.dnsOptions : host.filter((l) => /^\s*options\s/.test(l)).flatMap((l) => l.trim().split(/\s+/).slice(1));
  // docker's `--dns-search .`: no search domains at all.
  const domains = search.filter((d) => d !== '.');
  if (domains.length) resolv += `search ${domains.join(' ')}\n`;
  for (const n of usable) resolv += `nameserver ${n}\n`;
  if (options.length) resolv += `options ${options.join(' ')}\n`;

  const files = { hosts: join(d.userdata, 'hosts'), hostname: join(d.userdata, 'hostname'), resolv: join(d.userdata, 'resolv.conf') };
  writeFileSync(files.hosts, hosts);
  writeFileSync(files.hostname, `${i.hostname}\n`);
  writeFileSync(files.resolv, resolv);
  return files;
}

export interface ResolvedUser {
  uid: number;
  gid: number;
  additionalGids: number[];
  home: string;
}

function readDb(rootfs: string, file: string): string[][] {
  try {
    return readFileSync(join(rootfs, 'etc', file), 'utf8')
      .split('\n')
      .filter((l) => l && !l.startsWith('#'))
      .map((l) => l.split(':'));
  } catch {
    return [];
  }
}

export class UserError extends Error {}

/** Resolves `user[:group]` (names or ids) through the container's own passwd and group files. */
export function resolveUser(rootfs: string, spec: string, groupAdd: string[] = []): ResolvedUser {
  const [u = '', g] = spec.split(':');
  const passwd = readDb(rootfs, 'passwd');
  const groups = readDb(rootfs, 'group');
  let uid = 0;
  let gid = 0;
  let home = '/';
  let userName: string | undefined;
  if (u === '') {
    const root = passwd.find((p) => p[2] === '0');
    home = root?.[5] || '/root';
    userName = root?.[0] ?? 'root';
  } else if (/^\d+$/.test(u)) {
    uid = Number(u);
    const ent = passwd.find((p) => p[2] === u);
    if (ent) {
      gid = Number(ent[3]);
      home = ent[5] || '/';
      userName = ent[0];
    }
  } else {
    const ent = passwd.find((p) => p[0] === u);
    if (!ent) throw new UserError(`unable to find user ${u}: no matching entries in passwd file`);
    uid = Number(ent[2]);
    gid = Number(ent[3]);
    home = ent[5] || '/';
    userName = ent[0];
  }
  if (g !== undefined && g !== '') {
    if (/^\d+$/.test(g)) gid = Number(g);
    else {
      const ent = groups.find((x) => x[0] === g);
      if (!ent) throw new UserError(`unable to find group ${g}: no matching entries in group file`);
      gid = Number(ent[2]);
    }
  }
  const additional = new Set<number>();
  if (userName && g === undefined) {
    for (const grp of groups) if ((grp[3] ?? '').split(',').includes(userName) && Number(grp[2]) !== gid) additional.add(Number(grp[2]));
  }
  for (const a of groupAdd) {
    if (/^\d+$/.test(a)) additional.add(Number(a));
    else {
      const ent = groups.find((x) => x[0] === a);
      if (!ent) throw new UserError(`unable to find group ${a}: no matching entries in group file`);
      additional.add(Number(ent[2]));
    }
  }
  // Rootless, an id beyond the user namespace's map cannot be taken by the process: runc would
  // fail with a bare EINVAL, so the container's config is told what the namespace maps.
  const unmapped = unmappedIdProblem('uid', uid) ?? [gid, ...additional].map((x) => unmappedIdProblem('gid', x)).find(Boolean);
  if (unmapped) throw new UserError(`user ${JSON.stringify(spec)}: ${unmapped}`);
  return { uid, gid, additionalGids: [...additional], home };
}
