// The typed mount model: every way a client asks for a mount (compat `Binds`, `Mounts`, `Tmpfs`,
// `VolumesFrom`, `Config.Volumes` and the image's VOLUME; libpod's mounts and volumes arrive as
// these through specgen) is parsed once, at create, into `MountSpec`s stored with the container.
// The OCI spec, archive and cp, changes, filters and inspect read these, never the request strings.
import { isAbsolute, join, posix } from 'node:path';
import { unmappedIdProblem } from '../../config/id-range.js';
import { clip } from '../../lib/clip.js';
import { badParameter } from '../errors.js';
import { validateVolumeName } from '../volumes/names.js';
import type { HostConfig, MountSpec, Propagation } from './types.js';

export type { MountSpec, MountType, Propagation } from './types.js';

const PROPAGATIONS = new Set<Propagation>(['private', 'rprivate', 'shared', 'rshared', 'slave', 'rslave']);
// Docker Desktop's consistency flags: accepted and meaningless on Linux, as in dockerd.
const CONSISTENCY = new Set(['consistent', 'cached', 'delegated']);

/** Linux's PATH_MAX and NAME_MAX: a longer path can never be mounted. */
const PATH_MAX = 4095;
const NAME_MAX = 255;

function checkPathLength(p: string, what: string): void {
  if (Buffer.byteLength(p) > PATH_MAX || p.split('/').some((n) => Buffer.byteLength(n) > NAME_MAX)) throw badParameter(`invalid ${what}: path too long`);
}

function cleanDest(dst: string, what: string): string {
  if (!dst || !isAbsolute(dst)) throw badParameter(`invalid ${what}: mount path must be absolute`);
  checkPathLength(dst, what);
  const d = posix.normalize(dst).replace(/(.)\/+$/, '$1');
  if (d === '/') throw badParameter(`invalid ${what}: destination can't be '/'`);
  return d;
}

/**
 * One `Binds` entry: `host:ctr[:opts]` (a bind) or `name:ctr[:opts]` (a named volume, made on
 * demand); opts a comma list of ro|rw, z|Z, nocopy, propagation.
 */
export function parseBind(spec: string): MountSpec {
  if (typeof spec !== 'string') throw badParameter('invalid volume specification: expected a string');
  const what = `volume specification: '${spec.slice(0, 200)}'`;
  const parts = spec.split(':');
  if (parts.length < 2 || parts.length > 3) throw badParameter(`invalid ${what}`);
  const [src, dst, mode = ''] = parts;
  const destination = cleanDest(dst, what);
  let m: MountSpec;
  if (isAbsolute(src)) {
    checkPathLength(src, what);
    m = { type: 'bind', source: src, destination, readOnly: false, options: [], origin: 'binds', mode };
  } else {
    m = { type: 'volume', name: validateVolumeName(src), source: '', destination, readOnly: false, options: [], origin: 'binds', mode };
  }
  let rw: string | undefined;
  for (const o of mode === '' ? [] : mode.split(',')) {
    if (o === 'ro' || o === 'rw') {
      if (rw) throw badParameter(`invalid ${what}: duplicate mode ${o}`);
      rw = o;
      m.readOnly = o === 'ro';
    } else if (o === 'z' || o === 'Z') {
      if (m.relabel) throw badParameter(`invalid ${what}: duplicate relabel option ${o}`);
      m.relabel = o;
    } else if (o === 'nocopy') m.noCopy = true;
    else if (PROPAGATIONS.has(o as Propagation)) {
      if (m.propagation) throw badParameter(`invalid ${what}: duplicate propagation ${o}`);
      m.propagation = o as Propagation;
    } else if (!CONSISTENCY.has(o)) throw badParameter(`invalid ${what}: unknown option '${o.slice(0, 40)}'`);
  }
  return m;
}

type MountsEntry = NonNullable<HostConfig['Mounts']>[number];

const given = (o: unknown) => o != null && (typeof o !== 'object' || Object.keys(o).length > 0);

/** dockerd refuses the options of another mount type. */
function checkExtraFields(e: MountsEntry): void {
  const fields = { bind: 'BindOptions', volume: 'VolumeOptions', tmpfs: 'TmpfsOptions', image: 'ImageOptions' } as const;
  for (const [type, field] of Object.entries(fields)) {
    if (type !== e.Type && given(e[field])) throw badParameter(`invalid mount config for type "${e.Type}": field ${field} must not be specified`);
  }
}

function stringMap(v: unknown, what: string): Record<string, string> | undefined {
  if (v == null) return undefined;
  if (typeof v !== 'object' || Array.isArray(v) || Object.values(v).some((x) => typeof x !== 'string')) throw badParameter(`invalid mount config for type "volume": ${what} must be an object of strings`);
  return v as Record<string, string>;
}

/** One `Mounts` entry (`--mount`): bind, volume (named or anonymous), tmpfs and image. */
export function parseMountEntry(e: MountsEntry): MountSpec {
  if (!e || typeof e !== 'object') throw badParameter('invalid mount config: expected an object');
  const what = 'mount config';
  if (typeof e.Target !== 'string') throw badParameter(`invalid ${what}: Target must be a string`);
  const destination = cleanDest(e.Target, what);
  const readOnly = e.ReadOnly === true;
  if (e.Type === 'bind' || e.Type === 'volume' || e.Type === 'tmpfs' || e.Type === 'image') checkExtraFields(e);
  if (e.Type === 'image') {
    // An image's root filesystem, read-only unless ReadOnly is false (podman's image volumes).
    if (typeof e.Source !== 'string' || !e.Source) throw badParameter('invalid mount config for type "image": Source must name an image');
    if (e.ImageOptions?.Subpath) throw badParameter('invalid mount config for type "image": Subpath is not supported');
    return { type: 'image', image: e.Source, source: '', destination, readOnly: e.ReadOnly !== false, options: [], origin: 'mounts' };
  }
  if (e.Type === 'volume') {
    if (e.Source != null && typeof e.Source !== 'string') throw badParameter('invalid mount config for type "volume": Source must be a volume name');
    const vo = e.VolumeOptions ?? {};
    if (typeof vo !== 'object') throw badParameter('invalid mount config for type "volume": VolumeOptions must be an object');
    const driver = vo.DriverConfig?.Name;
    if (driver != null && typeof driver !== 'string') throw badParameter('invalid mount config for type "volume": DriverConfig.Name must be a string');
    const labels = stringMap(vo.Labels, 'Labels');
    const driverOpts = stringMap(vo.DriverConfig?.Options, 'DriverConfig.Options');
    return {
      type: 'volume', name: e.Source ? validateVolumeName(e.Source) : '', source: '', destination, readOnly, options: [], origin: 'mounts',
      ...(vo.NoCopy === true ? { noCopy: true } : {}),
      volumeOptions: { ...(labels ? { labels } : {}), ...(driver ? { driver } : {}), ...(driverOpts ? { driverOpts } : {}) },
    };
  }
  if (e.Type === 'bind') {
    if (typeof e.Source !== 'string' || !isAbsolute(e.Source)) throw badParameter(`invalid mount config for type "bind": source must be an absolute path`);
    checkPathLength(e.Source, `mount config for type "bind"`);
    const prop = e.BindOptions?.Propagation;
    if (prop !== undefined && prop !== '' && !PROPAGATIONS.has(prop as Propagation)) throw badParameter(`invalid mount config for type "bind": unknown propagation '${String(prop).slice(0, 40)}'`);
    return { type: 'bind', source: e.Source, destination, readOnly, options: [], origin: 'mounts', ...(prop ? { propagation: prop as Propagation } : {}) };
  }
  if (e.Type === 'tmpfs') {
    if (e.Source) throw badParameter(`invalid mount config for type "tmpfs": source must be empty`);
    const size = e.TmpfsOptions?.SizeBytes;
    const mode = e.TmpfsOptions?.Mode;
    if (size !== undefined && (typeof size !== 'number' || !Number.isSafeInteger(size) || size < 0)) throw badParameter('invalid mount config for type "tmpfs": SizeBytes must be a non-negative integer');
    if (mode !== undefined && (typeof mode !== 'number' || !Number.isInteger(mode) || mode < 0 || mode > 0o7777)) throw badParameter('invalid mount config for type "tmpfs": Mode must be a file mode');
    const options = [size ? `size=${size}` : '', mode ? `mode=${mode.toString(8)}` : '', readOnly ? 'ro' : ''].filter(Boolean);
    return { type: 'tmpfs', source: '', destination, readOnly, options, origin: 'mounts' };
  }
  throw badParameter(`mount type "${String(e.Type).slice(0, 40)}" is not supported (bind, volume, tmpfs and image are)`);
}

// What tmpfs and the mount call take (flags, and data options with short values): anything else
// would only fail in the runtime, which quotes it back whole.
const TMPFS_FLAGS = new Set([
  'ro', 'rw', 'exec', 'noexec', 'suid', 'nosuid', 'dev', 'nodev', 'sync', 'async', 'dirsync', 'mand', 'nomand',
  'atime', 'noatime', 'diratime', 'nodiratime', 'relatime', 'norelatime', 'strictatime', 'nostrictatime',
  'tmpcopyup', 'notmpcopyup', 'private', 'rprivate', 'shared', 'rshared', 'slave', 'rslave', 'unbindable', 'runbindable',
]);
const TMPFS_KEYS = new Set(['size', 'mode', 'uid', 'gid', 'nr_inodes', 'nr_blocks', 'mpol', 'huge']);

function checkTmpfsOption(o: string, dest: string): void {
  const eq = o.indexOf('=');
  const ok = eq < 0 ? TMPFS_FLAGS.has(o) : TMPFS_KEYS.has(o.slice(0, eq)) && /^[A-Za-z0-9:.%-]{1,64}$/.test(o.slice(eq + 1));
  if (!ok) throw badParameter(`invalid tmpfs option ${clip(o, 64)} for ${clip(dest)}`);
  // The owner must exist in berth's user namespace (rootless: the user's subordinate range).
  const owner = /^([ug]id)=(\d{1,10})$/.exec(o);
  const problem = owner && unmappedIdProblem(owner[1] as 'uid' | 'gid', Number(owner[2]));
  if (problem) throw badParameter(`invalid tmpfs option ${clip(o, 64)} for ${clip(dest)}: ${problem}`);
}

/** One `Tmpfs` entry: destination → mount options (`size=64m,mode=1777,ro`...). */
export function parseTmpfs(dest: string, opts: unknown): MountSpec {
  if (typeof opts !== 'string') throw badParameter(`invalid tmpfs options for ${clip(dest)}: expected a string`);
  const options = opts === '' ? [] : opts.split(',');
  for (const o of options) checkTmpfsOption(o, dest);
  return { type: 'tmpfs', source: '', destination: cleanDest(dest, `tmpfs mount '${clip(dest)}'`), readOnly: options.includes('ro'), options, origin: 'tmpfs' };
}

/** Every mount a HostConfig asks for, validated; two mounts on one path are refused as docker does. */
export function mountsOf(h: Pick<HostConfig, 'Binds' | 'Mounts' | 'Tmpfs'>): MountSpec[] {
  if (h.Binds != null && !Array.isArray(h.Binds)) throw badParameter('HostConfig.Binds must be an array of strings');
  if (h.Mounts != null && !Array.isArray(h.Mounts)) throw badParameter('HostConfig.Mounts must be an array');
  if (h.Tmpfs != null && (typeof h.Tmpfs !== 'object' || Array.isArray(h.Tmpfs))) throw badParameter('HostConfig.Tmpfs must be an object');
  const all = [
    ...(h.Binds ?? []).map(parseBind),
    ...(h.Mounts ?? []).map(parseMountEntry),
    ...Object.entries(h.Tmpfs ?? {}).map(([d, o]) => parseTmpfs(d, o)),
  ];
  const seen = new Set<string>();
  for (const m of all) {
    if (seen.has(m.destination)) throw badParameter(`Duplicate mount point: ${clip(m.destination)}`);
    seen.add(m.destination);
  }
  return all;
}

/** The mounts of a stored container; containers created before the model have them derived. */
export function containerMounts(spec: { HostConfig: HostConfig; mounts?: MountSpec[] }): MountSpec[] {
  if (spec.mounts) return spec.mounts;
  try {
    return (spec.mounts = mountsOf(spec.HostConfig));
  } catch {
    return (spec.mounts = []);
  }
}

/** Host paths bound into the container (binds and volumes), for reading and writing its files through them. */
export function bindSources(mounts: MountSpec[]): { dest: string; source: string }[] {
  return mounts.filter((m) => (m.type === 'bind' || m.type === 'volume') && m.source).map((m) => ({ dest: m.destination, source: m.source }));
}

/** What serves an image's VOLUME paths: anonymous volumes (docker, podman's default), tmpfs, or nothing. */
export type ImageVolumeMode = 'anonymous' | 'tmpfs' | 'ignore';

/**
 * Mounts for `Config.Volumes` paths nothing else mounts yet: anonymous volumes, or tmpfs mounts
 * when the image's volumes are asked for that way (podman's image_volume_mode).
 */
export function volumePathMounts(paths: Iterable<string>, taken: Set<string>, mode: ImageVolumeMode): MountSpec[] {
  const out: MountSpec[] = [];
  if (mode === 'ignore') return out;
  for (const p of paths) {
    const destination = cleanDest(p, `volume '${clip(p)}'`);
    if (taken.has(destination)) continue;
    taken.add(destination);
    out.push(mode === 'tmpfs'
      ? { type: 'tmpfs', source: '', destination, readOnly: false, options: [], origin: 'tmpfs' }
      : { type: 'volume', name: '', source: '', destination, readOnly: false, options: [], origin: 'volumes', mode: '' });
  }
  return out;
}

/**
 * `VolumesFrom` (`ctr[:ro|rw]`): the binds and volumes of those containers at the same
 * destinations, read-only when asked (never writable where they are not); own mounts win.
 */
export function volumesFromMounts(entries: unknown, lookup: (ref: string) => MountSpec[] | undefined): MountSpec[] {
  if (entries == null) return [];
  if (!Array.isArray(entries)) throw badParameter('HostConfig.VolumesFrom must be an array of strings');
  const out = new Map<string, MountSpec>();
  for (const e of entries) {
    if (typeof e !== 'string' || !e) throw badParameter('invalid VolumesFrom entry: expected "container[:ro|rw]"');
    const [ref, mode, ...rest] = e.split(':');
    if (rest.length || (mode !== undefined && mode !== 'ro' && mode !== 'rw')) throw badParameter(`invalid mode for VolumesFrom: ${clip(e)}`);
    const theirs = lookup(ref);
    if (!theirs) throw badParameter(`VolumesFrom: No such container: ${clip(ref)}`);
    for (const m of theirs) {
      if (m.type !== 'bind' && m.type !== 'volume') continue;
      // dockerd's copy: never more writable than there, no mode string, no copy-up.
      const { volumeOptions: _unused, ...copy } = m;
      out.set(m.destination, { ...copy, readOnly: m.readOnly || mode === 'ro', mode: '', noCopy: true, origin: 'volumes' });
    }
  }
  return [...out.values()];
}

/** The names of a container's anonymous volumes (rm -v and --rm remove those no other container uses). */
export function anonymousVolumes(mounts: MountSpec[]): string[] {
  return mounts.filter((m) => m.type === 'volume' && m.anonymous && m.name).map((m) => m.name!);
}

/** Where a container's image mounts are mounted on the host (their overlays live under its run dir). */
export function placeImageMounts(mounts: MountSpec[], runDir: string): void {
  let k = 0;
  for (const m of mounts) if (m.type === 'image') m.source = join(runDir, 'image-mounts', String(k++));
}
