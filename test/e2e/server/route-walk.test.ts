// The whole route table of both layers, walked with malformed input (issue 11): wrong types,
// nulls, deep nesting, huge strings, NUL bytes, bad numbers and booleans, unknown, over-long and
// odd path parameters. The routes come from the real table (compat-routes.ts, libpod-routes.ts)
// and their parameters from the specs (api/http/route-params.ts), so a new route is walked
// without changing this file. Asserted: no 5xx (beyond the deliberate ones listed in DELIBERATE),
// every error in its layer's JSON shape, every request answered within a bound, /_ping answering
// throughout, every container the walk made startable (or refused with a 4xx and its reason),
// inspectable by the docker CLI and removable, and no cgroup or mount left behind.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { appendFileSync, existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startBerth, FIXTURES, type Berth, removeAllContainers } from '../../helpers/berth.js';
import { compatRoutes } from '../../../src/api/compat-routes.js';
import { libpodRoutes } from '../../../src/api/libpod-routes.js';
import { ROUTE_PARAMS } from '../../../src/api/http/route-params.js';
import { routeKey } from '../../../src/api/http/query-check.js';
import type { RouteDef } from '../../../src/server/http.js';

/** Every request has its status line within this long (streams are cut once it comes). */
const ANSWER_MS = 10_000;
/** How much of a streaming answer is read before the connection is cut. */
const READ_CAP = 256 * 1024;
const STREAM_READ_MS = 300;

let b: Berth;
const failures: string[] = [];
/** Containers the walk made (an accepted create), checked and removed at the end. */
const made = new Set<string>();
let requests = 0;

interface Res {
  status: number;
  type: string;
  text: string;
  json: any;
  ms: number;
}

/** One request with a bound on its answer; a streaming body is read a moment and then cut. */
function send(method: string, path: string, body?: string | Buffer, headers: Record<string, string> = {}): Promise<Res> {
  requests++;
  return new Promise((resolve, reject) => {
    const t0 = Date.now();
    const data = body === undefined ? undefined : Buffer.isBuffer(body) ? body : Buffer.from(body);
    const req = http.request({
      socketPath: b.socket, method, path,
      headers: { ...(data ? { 'Content-Type': 'application/json', 'Content-Length': String(data.length) } : {}), ...headers },
    });
    const timer = setTimeout(() => {
      req.destroy();
      reject(new Error(`${method} ${path.slice(0, 120)}: no answer within ${ANSWER_MS} ms`));
    }, ANSWER_MS);
    req.on('response', (res) => {
      clearTimeout(timer);
      const ms = Date.now() - t0;
      const chunks: Buffer[] = [];
      let size = 0;
      const finish = () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let json: unknown;
        if (/json/.test(String(res.headers['content-type'])) && text) {
          try {
            json = JSON.parse(text);
          } catch {
            json = undefined;
          }
        }
        resolve({ status: res.statusCode ?? 0, type: String(res.headers['content-type'] ?? ''), text, json, ms });
      };
      const cut = setTimeout(() => {
        res.destroy();
        finish();
      }, STREAM_READ_MS);
      res.on('data', (c: Buffer) => {
        size += c.length;
        if (size <= READ_CAP) chunks.push(c);
        else res.destroy();
      });
      res.on('end', () => {
        clearTimeout(cut);
        finish();
      });
      res.on('close', () => {
        clearTimeout(cut);
        finish();
      });
      res.on('error', () => undefined);
    });
    // A hijacked stream (attach, exec start) answers on the raw socket.
    req.on('upgrade', (res, socket) => {
      clearTimeout(timer);
      socket.destroy();
      resolve({ status: res.statusCode ?? 101, type: '', text: '', json: undefined, ms: Date.now() - t0 });
    });
    req.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    req.end(data);
  });
}

// ---- what every answer must be -------------------------------------------------------------------

const SWARM = /^\/(swarm|services|nodes|tasks|configs)(\/|$)/;
/**
 * The 5xx answers berth gives on purpose, as dockerd does: 503 for swarm endpoints on a node
 * outside a swarm, 501 for what this build does not have (import from a URL), 500
 * for a registry that cannot be reached (the walk's made-up names go to docker.io, offline here).
 */
function deliberate(route: string, r: Res): boolean {
  const msg = String(r.json?.message ?? '');
  if (r.status === 503) return SWARM.test(route) && /swarm/.test(msg);
  if (r.status === 501) return /not available in this berth build|is not supported; send the tarball/.test(msg);
  // A name the walk makes up goes to docker.io, which this machine cannot reach: dockerd answers 500 too.
  if (r.status === 500) return /^\/(distribution|auth|images\/(create|search|\{name:\.\*\}\/push)|libpod\/(images\/(pull|search|\{name:\.\*\}\/push)|manifests))/.test(route) && /^pinging registry /.test(msg);
  return false;
}

function check(what: string, route: string, layer: 'compat' | 'libpod', method: string, r: Res, expect?: (r: Res) => string | undefined): void {
  const fail = (why: string): void => void failures.push(`${what}: ${why} (${r.status} ${r.text.slice(0, 200)})`);
  if (r.ms > ANSWER_MS) fail(`answered after ${r.ms} ms`);
  if (r.status >= 500 && !deliberate(route, r)) return fail('a 5xx');
  // A HEAD answer has no body to shape.
  if (r.status >= 400 && method !== 'HEAD') {
    if (!/^application\/json/.test(r.type) || !r.json || typeof r.json !== 'object') return fail('an error that is not a JSON object');
    if (typeof r.json.message !== 'string') return fail('an error without a message');
    if (r.json.message.length > 8192) fail(`an error message of ${r.json.message.length} characters`);
    if (layer === 'libpod' && (typeof r.json.cause !== 'string' || r.json.response !== r.status)) fail("not libpod's error shape {cause, message, response}");
    if (layer === 'compat' && Object.keys(r.json).some((k) => k !== 'message')) fail("not compat's error shape {message}");
  }
  const why = expect?.(r);
  if (why) fail(why);
}

async function probe(what: string, route: string, layer: 'compat' | 'libpod', method: string, path: string, body?: string | Buffer, expect?: (r: Res) => string | undefined): Promise<Res | undefined> {
  let r: Res;
  try {
    r = await send(method, path, body);
  } catch (e) {
    failures.push(`${what}: ${(e as Error).message}`);
    return undefined;
  }
  check(what, route, layer, method, r, expect);
  if (r.status === 201 && /\/containers\/create$/.test(path.split('?')[0]) && r.json) {
    const id: string = r.json.Id ?? r.json.id;
    made.add(id);
    const asked = (() => {
      try {
        const j = JSON.parse(String(body));
        return j?.HostConfig?.AutoRemove || j?.remove;
      } catch {
        return false;
      }
    })();
    if (asked) autoRemoved.add(id);
  }
  if (r.status < 300 && method !== 'GET' && method !== 'HEAD') await ensureFixtures();
  return r;
}

async function alive(when: string): Promise<void> {
  const t0 = Date.now();
  const r = await send('GET', '/_ping').catch((e: Error) => ({ status: 0, text: e.message, ms: Date.now() - t0 }) as Res);
  assert.equal(r.status, 200, `/_ping ${when}: ${r.text}`);
  assert.ok(r.ms < 2000, `/_ping ${when} took ${r.ms} ms`);
}

// ---- the routes and the objects their parameters name ----------------------------------------------

interface Route {
  method: string;
  path: string;
  layer: 'compat' | 'libpod';
  kind: 'container' | 'exec' | 'image' | 'volume' | 'other';
  params: ReturnType<typeof paramsOf>;
}

function paramsOf(method: string, path: string) {
  return ROUTE_PARAMS[routeKey(method, path)] ?? { query: {} };
}

const routes: Route[] = [...compatRoutes, ...libpodRoutes].flatMap((r: RouteDef) =>
  (Array.isArray(r.method) ? r.method : [r.method]).map((method) => {
    const bare = r.path.replace(/^\/libpod/, '');
    const kind = /^\/containers\/[:{]/.test(bare) ? 'container' : /^\/exec\/[:{]/.test(bare) ? 'exec' : /^\/images\/[:{]/.test(bare) ? 'image' : /^\/volumes\/[:{]/.test(bare) ? 'volume' : 'other';
    return { method, path: r.path, layer: r.path.startsWith('/libpod') ? 'libpod' : 'compat', kind, params: paramsOf(method, r.path) } as Route;
  }),
);

const prefix = (r: Route) => (r.layer === 'libpod' ? '/v5.4.2' : '/v1.41');
/** The route's path with its parameters filled in (already URL-encoded). */
const fill = (r: Route, value: string) => prefix(r) + r.path.replace(/\{[^}]*\}|:\w+/g, value);
/** The query a route needs to get as far as its body: commit's container, archive's path, import's source. */
const needs = (r: Route) => {
  const q = new URLSearchParams();
  if ('container' in r.params.query) q.set('container', fx.running);
  if ('path' in r.params.query) q.set('path', '/tmp');
  if ('fromSrc' in r.params.query) q.set('fromSrc', '-');
  const s = q.toString();
  return s ? `?${s}` : '';
};
const hasParam = (r: Route) => /\{[^}]*\}|:\w+/.test(r.path);

const fx = { running: 'walk-run', created: 'walk-created', updated: 'walk-update', exec: '', image: 'busybox', volume: 'walk-vol' };
const real = (r: Route) => ({ container: fx.running, exec: fx.exec, image: fx.image, volume: fx.volume, other: 'x' })[r.kind];

const api = (method: string, path: string, body?: unknown) => b.request(method, `/v1.41${path}`, body);
const BASE = { Image: 'busybox', Cmd: ['sleep', '600'], StopSignal: 'SIGKILL', HostConfig: { NetworkMode: 'none' } };

/** Puts the objects the walk points at back as they were, after a request that changed something. */
async function ensureFixtures(): Promise<void> {
  if ((await api('GET', '/images/busybox/json')).status === 404) await b.dockerOk(['load', '-i', join(FIXTURES, 'busybox-legacy.tar')]);
  if ((await api('GET', `/volumes/${fx.volume}`)).status === 404) assert.equal((await api('POST', '/volumes/create', { Name: fx.volume })).status, 201);
  for (const [name, start] of [[fx.running, true], [fx.created, false], [fx.updated, false]] as const) {
    let i = await api('GET', `/containers/${name}/json`);
    if (i.status === 404) {
      const body = name === fx.updated ? { ...BASE, HostConfig: { NetworkMode: 'none', Memory: 64 << 20 } } : BASE;
      assert.equal((await api('POST', `/containers/create?name=${name}`, body)).status, 201);
      i = await api('GET', `/containers/${name}/json`);
    }
    if (!start) continue;
    if (i.json.State.Paused) await api('POST', `/containers/${name}/unpause`);
    else if (!i.json.State.Running) assert.equal((await api('POST', `/containers/${name}/start`)).status, 204, `restarting ${name}`);
  }
  const e = fx.exec ? await api('GET', `/exec/${fx.exec}/json`) : undefined;
  if (!e || e.status !== 200 || e.json.Running || e.json.ExitCode !== null || e.json.Pid) {
    const x = await api('POST', `/containers/${fx.running}/exec`, { Cmd: ['true'] });
    assert.equal(x.status, 201, `exec fixture: ${x.text}`);
    fx.exec = x.json.Id;
  }
}

// ---- malformed values ---------------------------------------------------------------------------

const BAD_INTS = ['abc', '0x10', '1e23', '1.5', '%205', '99999999999999999999', '%00', '-'];
const BAD_BOOLS = ['maybe', '2', '%00', 'yes%20please', 'tRuE1'];
const BAD_STRINGS = [encodeURIComponent('x'.repeat(30_000)), '%00', 'a%00b', '%7B%22a%22%3A', '..%2F..%2F..%2Fetc%2Fshadow', '%E2%80%AE%F0%9F%92%A9'];
const BAD_PATHS = ['nosuch-walk-object', 'x'.repeat(256), 'y'.repeat(5000), '%00', 'a%00b', '..', '%2e%2e', '%2F', '%ZZ', '%C3%BC%F0%9F%92%A9', "a'b%22c%3Cd%3E"];

const DEEP = 5000;
const deepArray = '['.repeat(DEEP) + ']'.repeat(DEEP);
const deepObject = '{"a":'.repeat(DEEP) + '1' + '}'.repeat(DEEP);
const MB = 'x'.repeat(1 << 20);
/** Bodies wrong as a whole, for every route that takes JSON. */
const BAD_BODIES: [string, string | Buffer][] = [
  ['truncated JSON', '{"a":'],
  ['null', 'null'],
  ['a list', '[]'],
  ['a string', '"str"'],
  ['a number', '123'],
  ['nested 5000 deep (arrays)', deepArray],
  ['nested 5000 deep (objects)', deepObject],
  ['nested 100 deep', '{"a":'.repeat(100) + '1' + '}'.repeat(100)],
  ['a 1 MB string', JSON.stringify({ Image: MB, image: MB, Cmd: [MB], command: [MB] })],
  ['NUL bytes', JSON.stringify({ Image: 'busy\u0000box', image: 'busy\u0000box', Cmd: ['a\u0000b'], command: ['a\u0000b'] })],
  ['over 16 MiB', Buffer.alloc(17 << 20, 0x20)],
];

/** Streams wrong as a whole, for every route that takes one (tar archives). */
const BAD_STREAMS: [string, Buffer][] = [
  ['not a tar', Buffer.from('this is not a tar archive\n'.repeat(100))],
  ['a tar header and nothing else', (() => {
    const h = Buffer.alloc(512);
    h.write('file', 0);
    h.write('0000644\0', 100);
    h.write('00000001000\0', 124);
    h.write('        ', 148);
    h[156] = 0x30;
    let sum = 0;
    for (const byte of h) sum += byte;
    h.write(sum.toString(8).padStart(6, '0') + '\0 ', 148);
    return h;
  })()],
  ['gzip magic, then garbage', Buffer.concat([Buffer.from([0x1f, 0x8b, 0x08, 0]), Buffer.alloc(4096, 0xab)])],
  ['a megabyte of zeros', Buffer.alloc(1 << 20)],
];

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

/** Values of other types than `v`, and the edge values of its own type. */
function wrongValues(v: Json, seed: number): Json[] {
  const pick = <T>(xs: T[]) => xs[seed % xs.length];
  if (typeof v === 'string') return [123, pick<Json>([true, {}, ['s']]), null, pick([MB.slice(0, 300_000), 'a\u0000b', '\n'])];
  if (typeof v === 'number') return ['12', pick<Json>([true, {}, [1]]), null, pick([1.5, -1, 1e308, -9007199254740993, 2 ** 63])];
  if (typeof v === 'boolean') return ['true', pick<Json>([1, {}, null])];
  if (Array.isArray(v)) return ['str', pick<Json>([{}, 1]), null, pick<Json>([[null], [123], [[]]])];
  if (v && typeof v === 'object') return ['str', pick<Json>([[], 1]), null];
  return [];
}

/** Every value of `body` replaced in turn by each wrong one: [path, mutated body]. */
function mutations(body: { [k: string]: Json }): [string, Json][] {
  const out: [string, Json][] = [];
  let seed = 0;
  const walk = (v: Json, path: string[], set: (x: Json) => Json) => {
    for (const w of wrongValues(v, seed++)) out.push([path.join('.'), set(w)]);
    if (v && typeof v === 'object' && !Array.isArray(v)) {
      for (const k of Object.keys(v)) walk(v[k], [...path, k], (x) => set({ ...v, [k]: x }));
    } else if (Array.isArray(v) && v.length) {
      walk(v[0], [...path, '0'], (x) => set([x, ...v.slice(1)]));
    }
  };
  for (const k of Object.keys(body)) walk(body[k], [k], (x) => ({ ...body, [k]: x }));
  return out;
}

/** A body that is set at `path` (dotted) to `value`. */
function withValue(body: { [k: string]: Json }, path: string, value: Json): Json {
  const [k, ...rest] = path.split('.');
  if (!rest.length) return { ...body, [k]: value };
  return { ...body, [k]: withValue((body[k] as { [k: string]: Json }) ?? {}, rest.join('.'), value) };
}

// Representative bodies: each field berth applies, with a valid value a container can start with.
const COMPAT_CREATE: { [k: string]: Json } = {
  Image: 'busybox', Cmd: ['true'], Entrypoint: null, Env: ['A=1'], WorkingDir: '/', User: 'root', Labels: { a: 'b' },
  Hostname: 'walk', Domainname: 'example.com', StopSignal: 'SIGTERM', StopTimeout: 5, Tty: false, OpenStdin: false,
  ExposedPorts: { '80/tcp': {} }, Healthcheck: { Test: ['CMD', 'true'], Interval: 1_000_000_000, Retries: 3 },
  HostConfig: {
    NetworkMode: 'none', RestartPolicy: { Name: 'no', MaximumRetryCount: 0 }, AutoRemove: false, CapAdd: ['NET_ADMIN'],
    CapDrop: ['MKNOD'], Dns: ['192.0.2.53'], DnsOptions: ['ndots:2'], DnsSearch: ['example.com'], ExtraHosts: ['h:192.0.2.1'],
    Privileged: false, ReadonlyRootfs: false, SecurityOpt: ['no-new-privileges'], Tmpfs: { '/scratch': 'size=1m' },
    ShmSize: 67108864, Sysctls: { 'net.ipv4.ip_forward': '1' }, Init: false, Memory: 64 << 20, MemorySwap: 128 << 20,
    MemoryReservation: 32 << 20, CpuShares: 512, CpuPeriod: 100000, CpuQuota: 50000, CpusetCpus: '0', PidsLimit: 100,
    OomScoreAdj: 100, Ulimits: [{ Name: 'nofile', Soft: 1024, Hard: 2048 }], GroupAdd: ['nogroup'],
    LogConfig: { Type: 'json-file', Config: { 'max-size': '1m' } }, Binds: ['/tmp:/hosttmp:ro'],
    Mounts: [{ Type: 'tmpfs', Target: '/m', TmpfsOptions: { SizeBytes: 1048576 } }], CgroupParent: '', IpcMode: '', PidMode: '',
  },
};
/**
 * What a value of the right type but a wrong value must come to: refused where it is sent (R), or
 * accepted when only the start can know and then refused by the start with its reason (S), or
 * fine after all (OK: a value berth adapts, as dockerd does).
 */
type Outcome = 'R' | 'S' | 'OK';
const R: Outcome = 'R';
const S: Outcome = 'S';
const OK: Outcome = 'OK';

/** Right types, wrong values: what only berth's own checks (or the start) can refuse. */
const COMPAT_SEMANTIC: [string, Json, Outcome][] = [
  ['HostConfig.OomScoreAdj', 5000, R], ['HostConfig.OomScoreAdj', -5000, R], ['HostConfig.Sysctls', { 'kernel.panic': '1' }, R],
  ['HostConfig.Sysctls', { 'net.nosuch.x': '1' }, R], ['HostConfig.Sysctls', { 'net.ipv4.ip_forward': 'abc' }, S],
  ['HostConfig.GroupAdd', ['nosuchgroup'], S], ['HostConfig.GroupAdd', ['a:b'], R], ['Hostname', 'bad host', R], ['Hostname', 'x'.repeat(70), R],
  ['Hostname', 'a\nb', R], ['HostConfig.ShmSize', -1, R], ['HostConfig.MemorySwap', 1, R], ['HostConfig.MemorySwap', -5, R],
  ['HostConfig.PidsLimit', 1e9, R], ['HostConfig.Ulimits', [{ Name: 'nosuch', Soft: 1, Hard: 1 }], R],
  ['HostConfig.Ulimits', [{ Name: 'nofile', Soft: 5, Hard: 1 }], R], ['HostConfig.Ulimits', [{ Name: 'memlock', Soft: -1, Hard: -1 }], OK],
  ['StopSignal', 'SIGFOO', R], ['User', 'a:b:c', R], ['User', 'nosuchuser', S], ['WorkingDir', 'relative', R], ['WorkingDir', '/nonexistent/dir', OK],
  ['HostConfig.Dns', ['notanip'], R], ['HostConfig.ExtraHosts', ['bad'], R], ['HostConfig.ExtraHosts', ['h:notip'], R],
  ['HostConfig.Devices', [{ PathOnHost: '/nonexistent' }], R], ['HostConfig.Devices', [{ PathOnHost: '/dev/null', PathInContainer: 'rel' }], R],
  ['HostConfig.SecurityOpt', ['label=foo'], R], ['HostConfig.SecurityOpt', ['seccomp=/etc/shadow'], R], ['HostConfig.NanoCpus', 1e9, R],
  ['HostConfig.CpuShares', 1e9, OK], ['HostConfig.CpusetCpus', '99999', R], ['HostConfig.CpusetCpus', 'x', R],
  ['HostConfig.CgroupParent', '../../etc', R], ['HostConfig.Memory', 1, R], ['HostConfig.Memory', -5, R], ['HostConfig.MemoryReservation', 1.5, R],
  ['HostConfig.Binds', ['/tmp:/'], R], ['HostConfig.Binds', ['/tmp:/x:rw,zz'], R], ['HostConfig.Binds', ['./rel:/x'], R],
  ['HostConfig.Tmpfs', { rel: '' }, R], ['HostConfig.Tmpfs', { '/x': 'size=abc' }, S], ['Entrypoint', ['/nonexistent'], S], ['Cmd', ['a\u0000b'], R],
  ['Env', ['=x'], R], ['HostConfig.LogConfig', { Type: 'nosuch' }, R], ['HostConfig.RestartPolicy', { Name: 'sometimes' }, R],
  ['HostConfig.NetworkMode', 'container:nosuch', S], ['HostConfig.NetworkMode', 'nosuchnet', R], ['HostConfig.IpcMode', 'weird', R],
  ['HostConfig.PidMode', 'x', R], ['Healthcheck.Interval', 5, R], ['StopTimeout', -5, R], ['HostConfig.CpuQuota', 1e15, R],
  ['HostConfig.MaskedPaths', ['relative'], R], ['Domainname', 'a b', R], ['Env', ['A=' + 'x'.repeat(200_000)], R],
];

const LIBPOD_CREATE: { [k: string]: Json } = {
  image: 'busybox', command: ['true'], env: { A: '1' }, work_dir: '/', user: 'root', labels: { a: 'b' }, hostname: 'walk',
  stop_signal: 15, stop_timeout: 5, terminal: false, stdin: false, remove: false, restart_policy: 'no', cap_add: ['NET_ADMIN'],
  cap_drop: ['MKNOD'], privileged: false, read_only_filesystem: false, no_new_privileges: false, netns: { nsmode: 'none' },
  resource_limits: { memory: { limit: 64 << 20, swap: 128 << 20, reservation: 32 << 20 }, cpu: { shares: 512, quota: 50000, period: 100000, cpus: '0' }, pids: { limit: 100 } },
  r_limits: [{ type: 'RLIMIT_NOFILE', soft: 1024, hard: 2048 }], sysctl: { 'net.ipv4.ip_forward': '1' }, dns_server: ['192.0.2.53'],
  dns_search: ['example.com'], dns_option: ['ndots:2'], hostadd: ['h:192.0.2.1'], shm_size: 67108864, oom_score_adj: 100,
  mounts: [{ type: 'tmpfs', destination: '/scratch', options: ['size=1m'] }], expose: { 80: 'tcp' }, log_configuration: { driver: 'k8s-file' },
  groups: ['nogroup'], annotations: { a: 'b' }, selinux_opts: ['disable'], umask: '0022', seccomp_policy: 'default', cgroup_parent: '',
};
const LIBPOD_SEMANTIC: [string, Json, Outcome][] = [
  ['oom_score_adj', 5000, R], ['sysctl', { 'kernel.panic': '1' }, R], ['groups', ['nosuchgroup'], S], ['hostname', 'bad host', R], ['shm_size', -1, R],
  ['resource_limits.pids.limit', 1e9, R], ['r_limits', [{ type: 'nosuch', soft: 1, hard: 1 }], R], ['work_dir', 'rel', R], ['dns_server', ['notip'], R],
  ['hostadd', ['bad'], R], ['netns', { nsmode: 'container', value: 'nosuch' }, S], ['cgroup_parent', '../x', R], ['user', 'nosuchuser', S],
  ['mounts', [{ type: 'bind', source: '/tmp', destination: '/' }], R], ['env', { '': 'x' }, R], ['stop_signal', 999, R],
  ['resource_limits.memory.reservation', 1.5, R], ['seccomp_profile_path', '/etc/shadow', R], ['name', 'bad name', R], ['name', 'n'.repeat(256), R],
];

const UPDATE: { [k: string]: Json } = {
  CpuShares: 512, Memory: 64 << 20, MemorySwap: 128 << 20, MemoryReservation: 32 << 20, PidsLimit: 100, CpuPeriod: 100000, CpuQuota: 50000,
  CpusetCpus: '0', BlkioWeight: 0, KernelMemory: 0, RestartPolicy: { Name: 'no', MaximumRetryCount: 0 },
};
const UPDATE_SEMANTIC: [string, Json, Outcome][] = [
  ['MemoryReservation', 1.5, R], ['MemoryReservation', 6291456.5, R], ['Memory', -5, R], ['MemorySwap', -5, R], ['PidsLimit', 1e9, R],
  ['CpuShares', 1e9, OK], ['CpusetCpus', '9999', R], ['CpuQuota', 500, R], ['NanoCpus', 1e20, R], ['RestartPolicy', { Name: 'x' }, R],
  ['Memory', 1, R], ['KernelMemory', 1.5, R], ['CpuPeriod', 1.5, R],
];

const VOLUME_CREATE: { [k: string]: Json } = { Name: 'walk-made', Driver: 'local', DriverOpts: {}, Labels: { a: 'b' } };
const LIBPOD_VOLUME_CREATE: { [k: string]: Json } = { Name: 'walk-made', Driver: 'local', Options: {}, Label: { a: 'b' } };
const VOLUME_SEMANTIC: [string, Json, Outcome][] = [['Name', 'bad name', R], ['Name', 'v'.repeat(256), R], ['Driver', 'nosuch', R]];

const EXEC_CREATE: { [k: string]: Json } = { Cmd: ['true'], Env: ['A=1'], WorkingDir: '/', User: 'root', Tty: false, AttachStdout: true, AttachStderr: true, DetachKeys: 'ctrl-p,ctrl-q', Privileged: false };
const EXEC_SEMANTIC: [string, Json, Outcome][] = [
  ['Cmd', ['a\u0000b'], R], ['Env', ['=x'], R], ['WorkingDir', 'rel', R], ['User', 'nosuchuser', S], ['DetachKeys', 'ctrl-', R], ['Cmd', [], R],
  ['Cmd', ['/nonexistent'], S], ['User', 'a:b:c', R],
];

// ---- the walk -----------------------------------------------------------------------------------

/** A part of the walk: its failures (collected, so one run reports them all) fail it. */
function walk(name: string, fn: () => Promise<void>): void {
  test(name, async (t) => {
    const from = failures.length;
    const n = requests;
    await fn();
    t.diagnostic(`${requests - n} requests`);
    const mine = failures.slice(from);
    // BERTH_WALK_LOG=file keeps every failure (the assertion shows the first 40).
    if (process.env.BERTH_WALK_LOG && mine.length) appendFileSync(process.env.BERTH_WALK_LOG, `${name}\n${mine.map((f) => `  ${f}`).join('\n')}\n`);
    assert.deepEqual(mine.slice(0, 40), [], `${mine.length} failures in ${requests - n} requests`);
  });
}

/** Containers created with an auto-removal asked for (in whatever type) are gone once they ran. */
const autoRemoved = new Set<string>();

before(async () => {
  b = await startBerth();
  await b.dockerOk(['load', '-i', join(FIXTURES, 'busybox-legacy.tar')]);
  await ensureFixtures();
});

after(async () => {
  await removeAllContainers(b);
  await b.cleanup();
});

test('the representative bodies are valid: their containers start', async () => {
  for (const [path, body] of [['/v1.41/containers/create', COMPAT_CREATE], ['/v5.4.2/libpod/containers/create', LIBPOD_CREATE]] as const) {
    const c = await b.request('POST', path, body);
    assert.equal(c.status, 201, `${path}: ${c.text}`);
    const id = c.json.Id ?? c.json.id;
    const s = await b.request('POST', `/v1.41/containers/${id}/start`);
    assert.equal(s.status, 204, `start of ${path}'s container: ${s.text}`);
    assert.equal((await b.request('DELETE', `/v1.41/containers/${id}?force=1`)).status, 204);
  }
  const u = await b.request('POST', `/v1.41/containers/${fx.updated}/update`, UPDATE);
  assert.equal(u.status, 200, u.text);
});

walk('path parameters: unknown, over-long, NUL, dots, slashes, bad encodings', async () => {
  for (const r of routes.filter(hasParam)) {
    for (const v of BAD_PATHS) {
      const body = r.params.body === 'json' ? '{}' : r.params.body === 'binary' ? '' : undefined;
      await probe(`${r.method} ${r.path} with ${v.slice(0, 20)}`, r.path, r.layer, r.method, fill(r, v), body, (res) =>
        // The route is found whatever its parameter: an over-long one is the resource's 404 or a 400.
        res.json?.message === 'page not found' ? 'the route was not found' : undefined,
      );
    }
  }
  await alive('after the path parameters');
});

walk('typed query parameters (as the specs type them): each malformed value is a 400 before anything happens', async () => {
  for (const r of routes) {
    for (const [name, kind] of Object.entries(r.params.query)) {
      if (kind !== 'int' && kind !== 'bool') continue;
      for (const v of kind === 'int' ? BAD_INTS : BAD_BOOLS) {
        const body = r.params.body === 'json' ? '{}' : undefined;
        await probe(`${r.method} ${r.path}?${name}=${v}`, r.path, r.layer, r.method, `${fill(r, real(r))}?${name}=${v}`, body, (res) =>
          res.status !== 400 ? `expected 400 for ${kind} ${name}=${v}` : !res.json?.message.includes(`"${name}"`) ? 'the message does not name the parameter' : undefined,
        );
      }
    }
  }
  // Ranges of what berth reads.
  const ranged: [string, string][] = [
    ['GET', '/v1.41/containers/json?limit=-5'], ['GET', '/v5.4.2/libpod/containers/json?limit=-5'], ['POST', `/v1.41/containers/${fx.running}/stop?t=-2`],
    ['POST', `/v5.4.2/libpod/containers/${fx.running}/stop?timeout=-2`], ['POST', `/v1.41/containers/${fx.running}/resize?h=70000&w=1`],
    ['GET', `/v5.4.2/libpod/containers/${fx.running}/top?delay=0`], ['GET', `/v5.4.2/libpod/containers/${fx.running}/top?delay=abc`],
    ['GET', '/v5.4.2/libpod/containers/stats?stream=false&interval=0'], ['POST', `/v5.4.2/libpod/commit?container=${fx.running}&squash=maybe`],
    ['GET', `/v1.41/containers/${fx.running}/logs?stdout=1&tail=0x10`],
  ];
  for (const [method, path] of ranged) {
    const layer = path.includes('/libpod/') ? 'libpod' : 'compat';
    await probe(`${method} ${path}`, path, layer, method, path, undefined, (res) => (res.status !== 400 ? 'expected 400' : undefined));
  }
  await alive('after the typed query parameters');
});

walk('string query parameters: huge, NUL, half JSON, traversal, odd unicode', async () => {
  for (const r of routes) {
    const names = Object.entries(r.params.query).filter(([, k]) => k === 'string' || k === 'list').map(([n]) => n);
    if (!names.length) continue;
    // Unknown objects everywhere; the real ones where the request only reads.
    const targets = !hasParam(r) ? ['-'] : r.method === 'GET' || r.method === 'HEAD' ? ['nosuch-walk-object', real(r)] : ['nosuch-walk-object'];
    for (const t of targets) {
      for (const name of names) {
        for (const v of BAD_STRINGS) {
          const body = r.params.body === 'json' ? '{}' : undefined;
          // Creating, loading and committing are walked with bodies below; here they must refuse or act sanely.
          await probe(`${r.method} ${r.path}?${name}=${v.slice(0, 24)}`, r.path, r.layer, r.method, `${fill(r, t)}?${name}=${v}`, body);
        }
      }
    }
  }
  // The ones that act on a real container refuse a malformed value before acting.
  for (const [path, layer] of [
    [`/v1.41/containers/${fx.running}/kill?signal=%00`, 'compat'], [`/v1.41/containers/${fx.running}/stop?signal=SIGNOPE`, 'compat'],
    [`/v1.41/containers/${fx.running}/wait?condition=%00`, 'compat'], [`/v5.4.2/libpod/containers/${fx.running}/wait?condition=nope`, 'libpod'],
    [`/v1.41/containers/${fx.running}/rename?name=a%00b`, 'compat'], [`/v1.41/containers/${fx.running}/rename?name=${'x'.repeat(300)}`, 'compat'],
    [`/v1.41/images/busybox/tag?repo=a%00b`, 'compat'], [`/v1.41/commit?container=${fx.running}&repo=BAD%20REPO`, 'compat'],
  ] as const) {
    await probe(`POST ${path}`, path, layer, 'POST', path, undefined, (res) => (res.status !== 400 ? 'expected 400' : undefined));
  }
  await alive('after the string query parameters');
});

walk('JSON bodies: wrong as a whole, then each field of a representative body wrong in turn', async () => {
  for (const r of routes.filter((x) => x.params.body === 'json')) {
    for (const [what, body] of BAD_BODIES) {
      await probe(`${r.method} ${r.path} with ${what}`, r.path, r.layer, r.method, fill(r, real(r)) + needs(r), body);
    }
  }
  for (const r of routes.filter((x) => x.params.body === 'binary')) {
    for (const [what, body] of BAD_STREAMS) {
      await probe(`${r.method} ${r.path} with ${what}`, r.path, r.layer, r.method, fill(r, real(r)) + needs(r), body);
    }
  }
  const walks: [string, 'compat' | 'libpod', () => string, { [k: string]: Json }, [string, Json, Outcome][]][] = [
    ['/containers/create', 'compat', () => '/v1.41/containers/create', COMPAT_CREATE, COMPAT_SEMANTIC],
    ['/libpod/containers/create', 'libpod', () => '/v5.4.2/libpod/containers/create', LIBPOD_CREATE, LIBPOD_SEMANTIC],
    ['/containers/:id/update', 'compat', () => `/v1.41/containers/${fx.updated}/update`, UPDATE, UPDATE_SEMANTIC],
    ['/containers/:id/update', 'compat', () => `/v1.41/containers/${fx.running}/update`, UPDATE, UPDATE_SEMANTIC],
    ['/containers/:id/exec', 'compat', () => `/v1.41/containers/${fx.running}/exec`, EXEC_CREATE, EXEC_SEMANTIC],
    ['/libpod/containers/:name/exec', 'libpod', () => `/v5.4.2/libpod/containers/${fx.running}/exec`, EXEC_CREATE, EXEC_SEMANTIC],
    ['/volumes/create', 'compat', () => '/v1.41/volumes/create', VOLUME_CREATE, VOLUME_SEMANTIC],
    ['/libpod/volumes/create', 'libpod', () => '/v5.4.2/libpod/volumes/create', LIBPOD_VOLUME_CREATE, VOLUME_SEMANTIC],
  ];
  for (const [route, layer, path, body, semantic] of walks) {
    for (const [field, v] of mutations(body)) {
      await probe(`POST ${route} with ${field} = ${JSON.stringify(v).slice(0, 60)}`, route, layer, 'POST', path(), JSON.stringify(v));
    }
    for (const [field, value, outcome] of semantic) {
      const what = `POST ${route} with ${field} = ${JSON.stringify(value).slice(0, 60)}`;
      const r = await probe(what, route, layer, 'POST', path(), JSON.stringify(withValue(body, field, value)));
      if (!r) continue;
      if (r.status >= 400) {
        if (outcome === OK) failures.push(`${what}: refused (${r.status} ${r.text.slice(0, 160)}), though berth can apply it`);
        continue;
      }
      if (outcome === R) failures.push(`${what}: accepted (${r.status}), though it can never work`);
      const created: string | undefined = r.json?.Id ?? r.json?.id;
      if (!created || !/\/(create|exec)$/.test(route)) continue;
      // Accepted: the start either works or says why not, with a 4xx.
      const base = layer === 'libpod' ? '/v5.4.2/libpod' : '/v1.41';
      const start = route.endsWith('/exec') ? `${base}/exec/${created}/start` : `${base}/containers/${created}/start`;
      const st = await probe(`${what}: its start`, route, layer, 'POST', start, route.endsWith('/exec') ? '{"Detach":true}' : undefined);
      if (!st) continue;
      if (outcome === OK && st.status >= 300) failures.push(`${what}: its start failed (${st.status} ${st.text.slice(0, 160)})`);
      if (outcome === S && (st.status < 400 || st.status >= 500)) failures.push(`${what}: its start answered ${st.status}, not a 4xx with the reason`);
    }
  }
  await alive('after the bodies');
});

walk('every container the walk made starts or says why not, inspects for the docker CLI, and is removed; nothing is left behind', async () => {
  const ids = [...made];
  assert.ok(ids.length > 0, 'the walk made no container');
  // The fixtures were updated and poked at: they too must still work.
  const all = [...ids, fx.updated, fx.created];
  const queue = [...all];
  const worker = async () => {
    for (let id = queue.shift(); id; id = queue.shift()) {
      await probe(`start of ${id.slice(0, 12)}`, '/containers/:id/start', 'compat', 'POST', `/v1.41/containers/${id}/start`, undefined, (r) =>
        r.status >= 400 && !r.json?.message ? 'a refused start without its reason' : undefined,
      );
      await probe(`inspect of ${id.slice(0, 12)}`, '/containers/:id/json', 'compat', 'GET', `/v1.41/containers/${id}/json`, undefined, (r) =>
        r.status === 404 && autoRemoved.has(id) ? undefined : r.status !== 200 ? 'not inspectable' : undefined,
      );
    }
  };
  await Promise.all([worker(), worker(), worker()]);
  const kept = all.filter((id) => !autoRemoved.has(id));
  for (let i = 0; i < kept.length; i += 50) {
    const r = await b.docker(['inspect', ...kept.slice(i, i + 50)]);
    if (r.code !== 0) failures.push(`docker inspect cannot read containers: ${r.stderr.slice(0, 300)}`);
  }
  for (const id of [...all, fx.running]) {
    const r = await send('DELETE', `/v1.41/containers/${id}?force=1`);
    if (r.status !== 204 && !(r.status === 404 && autoRemoved.has(id))) failures.push(`removing ${id.slice(0, 12)}: ${r.status} ${r.text.slice(0, 200)}`);
  }
  await alive('after the containers');
  // No cgroup of theirs, and none named after a malformed CgroupParent, on any hierarchy.
  const names = new Set([...ids.map((id) => `berth-${id}`), '123', '[object Object]', 'true', 'null', 'str']);
  for (const h of readdirSync('/sys/fs/cgroup')) {
    for (const dir of [join('/sys/fs/cgroup', h), join('/sys/fs/cgroup', h, 'berth')]) {
      if (!existsSync(dir)) continue;
      for (const d of readdirSync(dir)) if (names.has(d)) failures.push(`cgroup left behind: ${join(dir, d)}`);
    }
  }
  const mounts = readFileSync('/proc/mounts', 'utf8').split('\n').filter((l) => l.includes(b.dir));
  if (mounts.length) failures.push(`mounts left behind: ${mounts.slice(0, 3).join('; ')}`);
});
