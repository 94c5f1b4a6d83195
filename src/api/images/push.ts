// Push handlers of both layers: dockerd's `POST /images/{name}/push?tag=` and podman's
// `POST /libpod/images/{name}/push?destination=`. A missing image is a status code before the
// stream starts; registry failures come in the stream, as each daemon reports them.
import type { Ctx, RouteDef } from '../../server/http.js';
import { qBool, startStream } from '../../server/http.js';
import { badParameter, EngineError } from '../../engine/errors.js';
import type { ManifestFormat, PushEvent, PushOptions } from '../../engine/images/types.js';
import { registryAuthOf } from '../http/registry-auth.js';
import { requestSignal } from '../http/request-signal.js';
import { images } from './compat.js';
import { compatPushMessages, libpodPushLines } from './push-stream.js';

const line = (o: object) => JSON.stringify(o) + '\r\n';
const message = (e: unknown) => (e instanceof Error ? e.message : String(e));

async function compatPush(ctx: Ctx): Promise<void> {
  const tag = ctx.query.get('tag') ?? '';
  const ref = tag ? `${ctx.params.name}:${tag}` : ctx.params.name;
  const job = await images(ctx).push(ref, { naming: 'docker', auth: registryAuthOf(ctx.req.headers) });
  const res = startStream(ctx);
  const rs = requestSignal(ctx);
  try {
    await job.run((e) => {
      for (const m of compatPushMessages(e)) res.write(line(m));
    }, rs.signal);
  } catch (e) {
    const msg = message(e);
    res.write(line({ errorDetail: { message: msg }, error: msg }));
  } finally {
    rs.done();
  }
  res.end();
}

/** podman's `format`: oci, v2s2 (docker), or the image's own; schema 1 is not written. */
function formatOf(v: string | null): ManifestFormat | undefined {
  if (!v) return undefined;
  if (v === 'oci') return 'oci';
  if (v === 'v2s2' || v === 'docker') return 'docker';
  if (v === 'v2s1') throw badParameter('pushing docker schema 1 manifests (v2s1) is not supported: use v2s2 or oci');
  throw badParameter(`unsupported manifest format "${v}": use oci or v2s2`);
}

/** The credentials podman-remote sends: X-Registry-Auth, or username/password parameters. */
export function libpodAuth(ctx: Ctx): PushOptions['auth'] {
  const username = ctx.query.get('username');
  if (username) return { single: { username, password: ctx.query.get('password') ?? '' } };
  return registryAuthOf(ctx.req.headers);
}

/** `tlsVerify` when given (podman sends it only for --tls-verify). */
export function tlsVerifyOf(ctx: Ctx): boolean | undefined {
  return ctx.query.has('tlsVerify') ? qBool(ctx, 'tlsVerify', true) : undefined;
}

/** A name that is no image here but a manifest list: `podman push` pushes the list. */
function isManifestList(ctx: Ctx, name: string): boolean {
  try {
    images(ctx).resolve(name);
    return false;
  } catch (e) {
    if (e instanceof EngineError && e.kind === 'not-found') return ctx.engine.manifests.exists(name);
    throw e;
  }
}

async function libpodPush(ctx: Ctx): Promise<void> {
  const compression = ctx.query.get('compressionFormat') ?? ctx.query.get('compressionformat') ?? '';
  if (compression && compression !== 'gzip') throw badParameter(`compression format "${compression}" is not supported: berth compresses layers with gzip`);
  const quiet = qBool(ctx, 'quiet', true);
  const destination = ctx.query.get('destination') || ctx.params.name;
  const opts = { destination, auth: libpodAuth(ctx), tlsVerify: tlsVerifyOf(ctx), format: formatOf(ctx.query.get('format')) };
  const state = { started: false };
  let write: (o: object) => void = () => {};
  let digest = '';
  const onImage = (e: PushEvent) => {
    if (e.type === 'manifest') digest = e.digest;
    if (!quiet) for (const l of libpodPushLines(e, state)) write({ stream: `${l}\n` });
  };
  let run: (signal: AbortSignal) => Promise<unknown>;
  if (isManifestList(ctx, ctx.params.name)) {
    const job = ctx.engine.manifests.push(ctx.params.name, { ...opts, all: qBool(ctx, 'all', true) });
    run = async (signal) => {
      const r = await job.run((e) => {
        if (e.type === 'image') onImage(e.event);
        else if (e.type === 'list' && !quiet) write({ stream: 'Writing manifest list to image destination\n' });
      }, signal);
      digest = r.digest;
    };
  } else {
    const job = await images(ctx).push(ctx.params.name, { ...opts, naming: 'registries-conf' });
    run = (signal) => job.run(onImage, signal);
  }
  const res = startStream(ctx);
  write = (o) => res.write(line(o));
  const rs = requestSignal(ctx);
  try {
    await run(rs.signal);
    // The digest rides on a stream line: podman 4's bindings refuse a line with neither.
    write(quiet ? { manifestdigest: digest } : { stream: 'Storing signatures\n', manifestdigest: digest });
  } catch (e) {
    const msg = message(e);
    write({ error: msg, errorDetail: { message: msg } });
  } finally {
    rs.done();
  }
  res.end();
}

export const compatPushRoutes: RouteDef[] = [{ method: 'POST', path: '/images/{name:.*}/push', handler: compatPush }];
export const libpodPushRoutes: RouteDef[] = [{ method: 'POST', path: '/libpod/images/{name:.*}/push', handler: libpodPush }];
