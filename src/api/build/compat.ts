// POST /build: dockerd's classic builder stream ("Step 1/5 : ...", " ---> id", aux ID, errors
// with the failing step's exit code).
import type { Ctx, RouteDef } from '../../server/http.js';
import { startStream } from '../../server/http.js';
import { HttpError } from '../../server/errors.js';
import { familiarName } from '../../lib/image-ref.js';
import { BuildError, type BuildEvent } from '../../engine/build/types.js';
import { buildHostNamespaces, buildRequest } from './request.js';
import { fromBuild } from '../../server/access/request.js';
import { uploadBody } from '../images/compat.js';
import { requestSignal } from '../http/request-signal.js';

const short = (id: string) => id.replace(/^sha256:/, '').slice(0, 12);

function line(e: BuildEvent, quiet: boolean): object[] {
  if (quiet && e.kind !== 'done') return [];
  switch (e.kind) {
    case 'step':
      return [{ stream: `Step ${e.n}/${e.total} : ${e.instruction}\n` }];
    case 'output':
      return [{ stream: e.text }];
    case 'cached':
      return [{ stream: ' ---> Using cache\n' }];
    case 'running':
      return [{ stream: ` ---> Running in ${short(e.container)}\n` }];
    case 'removed':
      return [{ stream: `Removing intermediate container ${short(e.container)}\n` }];
    case 'image':
      return [{ stream: ` ---> ${short(e.id)}\n` }];
    case 'note':
      return [{ stream: `${e.text}\n` }];
    case 'done':
      if (quiet) return [{ stream: `sha256:${e.id}\n` }];
      return [{ aux: { ID: `sha256:${e.id}` } }, { stream: `Successfully built ${short(e.id)}\n` }, ...e.names.map((n) => ({ stream: `Successfully tagged ${familiarName(n)}\n` }))];
  }
}

/** Runs the build and writes its events as dockerd's JSON lines; `shape` words each event. */
export async function streamBuild(ctx: Ctx, flavor: 'docker' | 'podman', shape: (e: BuildEvent, quiet: boolean) => object[], errorShape: (message: string, code: number) => object): Promise<void> {
  const req = buildRequest(ctx, flavor);
  ctx.engine.build.check(req);
  ctx.access?.guard(fromBuild(req, buildHostNamespaces(ctx)));
  const upload = uploadBody(ctx);
  const rs = requestSignal(ctx);
  const res = startStream(ctx);
  try {
    for await (const e of ctx.engine.build.build(req, req.remote ? undefined : upload.body, rs.signal)) {
      if (e.kind === 'done') ctx.access?.touched(e.id);
      for (const l of shape(e, req.quiet)) res.write(JSON.stringify(l) + '\r\n');
    }
  } catch (e) {
    const message = e instanceof Error ? e.message : String(e);
    const code = e instanceof BuildError ? e.code : 1;
    ctx.log.info('build failed', { err: message });
    res.write(JSON.stringify(errorShape(message, code)) + '\r\n');
    if (!rs.signal.aborted) await upload.drain();
  } finally {
    rs.done();
  }
  res.end();
}

async function build(ctx: Ctx): Promise<void> {
  // BuildKit's session protocol (version=2) is not served; the classic builder is.
  if (ctx.query.get('version') === '2') throw new HttpError(400, 'BuildKit (version=2) is not supported by berth: use the classic builder (DOCKER_BUILDKIT=0)');
  await streamBuild(ctx, 'docker', line, (message, code) => ({ errorDetail: { code, message }, error: message }));
}

export const routes: RouteDef[] = [{ method: 'POST', path: '/build', handler: build }];
