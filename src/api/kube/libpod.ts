// podman's kube endpoints: GET /libpod/generate/kube, POST and DELETE /libpod/play/kube.
import type { Ctx, RouteDef } from '../../server/http.js';
import { parseBool, qInt, readText, sendJson, sendText } from '../../server/http.js';
import { HttpError } from '../../server/errors.js';
import { clip } from '../../lib/clip.js';
import type { PlayOptions, PlayReport, TeardownReport } from '../../engine/kube/types.js';
import { fromKubePlay } from '../../server/access/request.js';

const KINDS = ['pod', 'deployment', 'daemonset'] as const;

/**
 * A query parameter's values whatever its case: podman-remote 4 sends its play options in lower
 * case (`logdriver`, `staticips`), which podman's decoder matches to `logDriver`, `staticIPs`.
 */
function qAny(ctx: Ctx, name: string): string[] {
  const want = name.toLowerCase();
  const out: string[] = [];
  for (const [k, v] of ctx.query) if (k.toLowerCase() === want) out.push(v);
  return out;
}

function qAnyBool(ctx: Ctx, name: string, def: boolean): boolean {
  const v = qAny(ctx, name).at(-1);
  if (v === undefined || v === '') return def;
  const b = parseBool(v);
  if (b === undefined) throw new HttpError(400, `invalid boolean value "${clip(v, 64)}" for query parameter "${name}"`);
  return b;
}

const qAnyList = (ctx: Ctx, name: string) => qAny(ctx, name).flatMap((v) => v.split(',')).map((s) => s.trim()).filter(Boolean);

async function generate(ctx: Ctx): Promise<void> {
  const names = qAnyList(ctx, 'names');
  if (!names.length) throw new HttpError(400, 'generate kube needs at least one name: names=CONTAINER|POD|VOLUME');
  const type = (ctx.query.get('type') || 'pod').toLowerCase();
  if (!(KINDS as readonly string[]).includes(type)) throw new HttpError(400, `invalid type "${clip(type)}": pod, deployment or daemonset`);
  const replicas = qInt(ctx, 'replicas', 0, { min: 0, max: 100 });
  if (replicas && type !== 'deployment') throw new HttpError(400, '--replicas is only used for a deployment (type=deployment)');
  const yaml = await ctx.engine.kube.generate({ names, service: qAnyBool(ctx, 'service', false), type: type as (typeof KINDS)[number], replicas });
  sendText(ctx, 200, yaml, 'text/vnd.yaml');
}

function annotationsOf(ctx: Ctx): Record<string, string> | undefined {
  const raw = qAny(ctx, 'annotations').at(-1);
  if (!raw) return undefined;
  let v: unknown;
  try {
    v = JSON.parse(raw);
  } catch {
    throw new HttpError(400, 'invalid annotations: expected a JSON object of strings');
  }
  if (!v || typeof v !== 'object' || Array.isArray(v) || Object.values(v).some((x) => typeof x !== 'string')) throw new HttpError(400, 'invalid annotations: expected a JSON object of strings');
  return v as Record<string, string>;
}

function logOptionsOf(ctx: Ctx): Record<string, string> | undefined {
  const list = qAny(ctx, 'logOptions');
  if (!list.length) return undefined;
  const out: Record<string, string> = {};
  for (const o of list) {
    const i = o.indexOf('=');
    if (i <= 0) throw new HttpError(400, `invalid log option "${clip(o)}": expected key=value`);
    out[o.slice(0, i)] = o.slice(i + 1);
  }
  return out;
}

async function yamlBody(ctx: Ctx): Promise<string> {
  const type = String(ctx.req.headers['content-type'] ?? '');
  if (/application\/x-tar/i.test(type)) throw new HttpError(400, 'kube play with build contexts (application/x-tar) is not supported by berth yet: send the YAML as text/plain');
  const text = await readText(ctx);
  if (!text) throw new HttpError(400, 'request body is empty: expected a Kubernetes YAML file');
  return text;
}

/** podman's PlayKubeReport: errors as Go's nil (its `error` fields cannot take text). */
function playReport(r: PlayReport) {
  const notes = r.skipped.map((s) => `${s.kind}${s.name ? ` ${s.name}` : ''}: ${s.reason}`);
  return {
    Pods: r.pods.map((p, i) => ({ ID: p.id, Containers: p.containers, InitContainers: p.initContainers, Logs: i === 0 ? notes : [], ContainerErrors: p.containerErrors })),
    Volumes: r.volumes.map((Name) => ({ Name })),
    Secrets: r.secrets.map((ID) => ({ CreateReport: { ID } })),
    // Not podman's: what was skipped, for a client that has no pod to read it from.
    Skipped: r.skipped.map((s) => ({ Kind: s.kind, Name: s.name, Reason: s.reason })),
    ServiceContainerID: '',
  };
}

function teardownReport(r: TeardownReport) {
  return {
    Pods: [],
    Volumes: [],
    Secrets: [],
    StopReport: r.stopped.map((Id) => ({ Errs: [], Id, RawInput: Id })),
    RmReport: r.removed.map((x) => ({ Err: null, Id: x.id, RemovedCtrs: Object.fromEntries(x.containers.map((c) => [c, null])) })),
    VolumeRmReport: r.volumes.map((Id) => ({ Err: null, Id })),
    SecretRmReport: r.secrets.map((ID) => ({ Err: null, ID })),
  };
}

async function play(ctx: Ctx): Promise<void> {
  const opts: PlayOptions = {
    networks: qAnyList(ctx, 'network'),
    staticIPs: qAnyList(ctx, 'staticIPs'),
    staticMACs: qAnyList(ctx, 'staticMACs'),
    start: qAnyBool(ctx, 'start', true),
    replace: qAnyBool(ctx, 'replace', false),
    annotations: annotationsOf(ctx),
    logDriver: qAny(ctx, 'logDriver').at(-1) || undefined,
    logOptions: logOptionsOf(ctx),
    noHosts: qAnyBool(ctx, 'noHosts', false),
  };
  // Options berth cannot honour yet are refused, never silently dropped (podman-remote sends them empty).
  if (opts.noHosts) throw new HttpError(400, 'kube play --no-hosts is not supported by berth yet');
  if (qAny(ctx, 'userns').some(Boolean)) throw new HttpError(400, 'kube play --userns is not supported by berth yet');
  if (qAnyList(ctx, 'publishPorts').length) throw new HttpError(400, 'kube play --publish is not supported by berth yet: give the ports a hostPort in the YAML');
  if (qAnyBool(ctx, 'wait', false)) throw new HttpError(400, 'kube play --wait is not supported by berth yet');
  if (qAnyBool(ctx, 'build', false)) throw new HttpError(400, 'kube play --build is not supported by berth yet');
  if (qAnyBool(ctx, 'serviceContainer', false)) throw new HttpError(400, 'kube play with a service container is not supported by berth yet');
  const yaml = await yamlBody(ctx);
  // Every container the play would make is judged before anything is made (or pulled).
  if (ctx.access) ctx.access.guard(fromKubePlay(await ctx.engine.kube.plan(yaml, opts)));
  const r = await ctx.engine.kube.play(yaml, opts);
  for (const p of r.pods) for (const id of [p.id, ...p.initContainers, ...p.containers]) ctx.access?.touched(id);
  sendJson(ctx, 200, playReport(r));
}

async function down(ctx: Ctx): Promise<void> {
  const yaml = await yamlBody(ctx);
  sendJson(ctx, 200, teardownReport(await ctx.engine.kube.down(yaml, { force: qAnyBool(ctx, 'force', false) })));
}

export const routes: RouteDef[] = [
  { method: 'GET', path: '/libpod/generate/kube', handler: generate },
  { method: 'POST', path: '/libpod/play/kube', handler: play },
  { method: 'DELETE', path: '/libpod/play/kube', handler: down },
];
