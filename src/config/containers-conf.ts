import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { dropInFiles, userContainersDir } from './conf-dirs.js';
import { isRootless, rootlessUid } from './rootless.js';

/** The subset of containers.conf berth honours; grows as features land. */
export interface ContainersConf {
  engine: {
    service_timeout?: number;
    runtime?: string;
    /** Paths to try for each runtime name, as `[engine.runtimes]` lists them. */
    runtimes?: Record<string, string[]>;
    conmon_path?: string[];
    cgroup_manager?: string;
    events_logger?: string;
    /** Layers a pull downloads at once (0 or unset: berth's default, 6). */
    image_parallel_copies?: number;
  };
  containers: {
    default_ulimits?: string[];
    env?: string[];
    log_driver?: string;
  };
  network: {
    /** The default network's subnet when it is created. */
    default_subnet?: string;
    /** Where `network create` without a subnet takes one from, in order. */
    default_subnet_pools?: { base: string; size: number }[];
    /** What connects a rootless container's network to the host: "pasta" (default) or "slirp4netns". */
    default_rootless_network_cmd?: string;
    /** Extra arguments for every pasta berth starts (podman 5's key). */
    pasta_options?: string[];
  };
  /** Files that were read, in order (for /info and debugging). */
  files: string[];
}

/**
 * The files containers/common reads, in its order; later files override earlier keys.
 * CONTAINERS_CONF names the one file to read instead of all of them.
 */
export function confFiles(env: NodeJS.ProcessEnv = process.env): string[] {
  if (env.CONTAINERS_CONF) return [env.CONTAINERS_CONF];
  const userDir = userContainersDir(env);
  return [
    ...systemConfFiles('/usr/share/containers'),
    ...systemConfFiles('/etc/containers'),
    join(userDir, 'containers.conf'),
    ...dropInFiles(join(userDir, 'containers.conf.d')),
  ];
}

/**
 * The text with its whole-line comments blanked (line numbers stay for the parser's messages).
 * The containers.conf that containers-common installs is 24 KB of which 0.5 KB is not comment,
 * and it is read before the service listens: the parser, not yet compiled, took 12 ms walking
 * the comments; this takes a fraction of one. Only when no multi-line string could hold a line
 * that starts with `#` (TOML's other strings end at the line).
 */
function withoutCommentLines(text: string): string {
  if (text.includes('"""') || text.includes("'''")) return text;
  return text.replace(/^[ \t]*#.*$/gm, '');
}

/**
 * One system directory's files: the main file, its drop-ins, then those for rootful or rootless
 * services only (containers-config(5)); a rootless service also reads the folder named for the
 * user's uid as the host knows it (inside its user namespace berth is uid 0).
 */
function systemConfFiles(dir: string): string[] {
  const only = isRootless()
    ? [...dropInFiles(join(dir, 'containers.rootless.conf.d')), ...dropInFiles(join(dir, 'containers.rootless.conf.d', String(rootlessUid())))]
    : dropInFiles(join(dir, 'containers.rootful.conf.d'));
  return [join(dir, 'containers.conf'), ...dropInFiles(join(dir, 'containers.conf.d')), ...only];
}

export async function loadContainersConf(env: NodeJS.ProcessEnv = process.env): Promise<ContainersConf> {
  const conf: ContainersConf = { engine: {}, containers: {}, network: {}, files: [] };
  const texts: [string, string][] = [];
  for (const f of confFiles(env)) {
    try {
      texts.push([f, readFileSync(f, 'utf8')]);
    } catch {
      // Missing files are the normal case.
    }
  }
  if (!texts.length) return conf;
  const { parse } = await import('smol-toml');
  for (const [file, text] of texts) {
    let doc: Record<string, unknown>;
    try {
      doc = parse(withoutCommentLines(text)) as Record<string, unknown>;
    } catch (e) {
      throw new Error(`${file}: ${(e as Error).message}`);
    }
    conf.files.push(file);
    Object.assign(conf.engine, pick(doc.engine));
    Object.assign(conf.containers, pick(doc.containers));
    Object.assign(conf.network, pick(doc.network));
  }
  // Lists of paths, as containers/common reads them; anything else would be tried letter by letter.
  const paths = (v: unknown) => (Array.isArray(v) ? v.filter((p): p is string => typeof p === 'string') : typeof v === 'string' ? [v] : []);
  if (conf.engine.conmon_path !== undefined) conf.engine.conmon_path = paths(conf.engine.conmon_path);
  if (conf.engine.runtimes !== undefined) {
    conf.engine.runtimes = Object.fromEntries(Object.entries(pick(conf.engine.runtimes)).map(([k, v]) => [k, paths(v)]));
  }
  if (conf.network.default_subnet !== undefined && typeof conf.network.default_subnet !== 'string') throw new Error('containers.conf: default_subnet must be a string');
  if (conf.network.default_subnet_pools !== undefined) {
    const pools = Array.isArray(conf.network.default_subnet_pools) ? conf.network.default_subnet_pools : [];
    conf.network.default_subnet_pools = pools.map((p) => pick(p)).filter((p) => typeof p.base === 'string').map((p) => ({ base: p.base as string, size: Number(p.size ?? 24) }));
  }
  const cmd = conf.network.default_rootless_network_cmd;
  if (cmd !== undefined && cmd !== 'pasta' && cmd !== 'slirp4netns') throw new Error(`containers.conf: default_rootless_network_cmd must be "pasta" or "slirp4netns", got ${JSON.stringify(cmd)}`);
  if (conf.network.pasta_options !== undefined) conf.network.pasta_options = paths(conf.network.pasta_options);
  if (conf.engine.image_parallel_copies !== undefined) {
    const n = Number(conf.engine.image_parallel_copies);
    if (!Number.isInteger(n) || n < 0) throw new Error(`containers.conf: image_parallel_copies must be a non-negative integer, got ${conf.engine.image_parallel_copies}`);
    conf.engine.image_parallel_copies = n;
  }
  if (conf.engine.service_timeout !== undefined) {
    const t = Number(conf.engine.service_timeout);
    if (!Number.isInteger(t) || t < 0) throw new Error(`containers.conf: service_timeout must be a non-negative integer, got ${conf.engine.service_timeout}`);
    conf.engine.service_timeout = t;
  }
  return conf;
}

function pick(v: unknown): Record<string, unknown> {
  return v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
}
