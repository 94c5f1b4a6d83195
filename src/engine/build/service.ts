// The builder: runs a Dockerfile's stages step by step on the engine's own services (RUN as
// containers, layers through the image store) and reports each step as a layer-neutral event.
import { execFile } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { lstat, mkdir, readFile, rm } from 'node:fs/promises';
import { join, posix } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { promisify } from 'node:util';
import type { Database } from 'better-sqlite3';
import type { StoragePaths } from '../../config/paths.js';
import { BuildCacheState } from '../../state/build-cache.js';
import { diffTar } from '../../storage/diff-tar.js';
import { scratchName } from '../../storage/layers.js';
import { EngineError } from '../errors.js';
import type { ContainerService } from '../containers/service.js';
import type { FilesDeps } from '../containers/files/service.js';
import { placeholderPaths } from '../containers/files/changes.js';
import type { ImageService } from '../images/service.js';
import type { ImageInfo } from '../images/types.js';
import { hostArch } from '../images/archives.js';
import { cacheKey } from './cache.js';
import { Channel } from './channel.js';
import { commitStep } from './commit.js';
import { applyDockerignore, contentDigest, contextPath, expandSource, receiveContext, resolveScoped } from './context.js';
import { copyTar, type CopySource } from './copy.js';
import { expand, ExpandError, type Lookup } from './expand.js';
import { openImageRoot, resolveOwner, statInImage } from './image-fs.js';
import { applyMeta, commandOf, DEFAULT_SHELL, envMap, setEnv, type StepConfig } from './instructions.js';
import type { Instruction, Stage } from './parse.js';
import type { BuildPort } from './port.js';
import { runContainer } from './run.js';
import { BuildError, type BuildEvent, type BuildRequest } from './types.js';

/**
 * The Dockerfile parser (dockerfile-ast and the language-server types it brings: ~250 KB of the
 * bundle, ~1 MiB of heap) loads with the first build, not with the engine: every service start
 * loads the engine in its warm-up, and few of them ever build.
 */
const dockerfileParser = () => import('./parse.js');

const run = promisify(execFile);

/** Args every build knows without an ARG line; used in RUN, never stored in the image. */
const PROXY_ARGS = ['HTTP_PROXY', 'http_proxy', 'HTTPS_PROXY', 'https_proxy', 'FTP_PROXY', 'ftp_proxy', 'NO_PROXY', 'no_proxy', 'ALL_PROXY', 'all_proxy'];

/** Why berth cannot build for `platform` (os/arch[/variant]); undefined when it is this host's. */
function platformProblem(platform: string): string | undefined {
  // podman sends "/" (neither given) when no --platform was asked for.
  const [os = '', arch = ''] = platform.toLowerCase().split('/');
  if ((os === '' || os === 'linux') && (arch === '' || arch === hostArch())) return undefined;
  return `platform ${JSON.stringify(platform)} is not supported: berth builds for linux/${hostArch()} (no emulation)`;
}

export interface BuildDeps {
  db: Database;
  paths: StoragePaths;
  images: ImageService;
  containers: ContainerService;
  files: FilesDeps;
}

interface StageState {
  image?: ImageInfo;
  config: StepConfig;
  /** ARGs declared in this stage and their values (undefined: declared without one). */
  args: Map<string, string | undefined>;
  cmdSet: boolean;
}

interface Job {
  req: BuildRequest;
  out: Channel<BuildEvent>;
  scratch: string;
  ctx: string;
  escape: string;
  step: number;
  total: number;
  globalArgs: Map<string, string | undefined>;
  usedArgs: Set<string>;
  results: ImageInfo[];
  stages: Stage[];
  containers: Set<string>;
  removals: Promise<void>[];
  signal?: AbortSignal;
}

export class BuildService implements BuildPort {
  private readonly cache: BuildCacheState;

  constructor(private readonly deps: BuildDeps) {
    this.cache = new BuildCacheState(deps.db);
  }

  check(req: BuildRequest): void {
    for (const t of req.tags) this.deps.images.nameFor(t);
    if (req.dockerfile) {
      try {
        contextPath(req.dockerfile);
      } catch (e) {
        throw new EngineError('bad-parameter', (e as Error).message);
      }
    }
    if (req.platform) {
      const why = platformProblem(req.platform);
      if (why) throw new EngineError('bad-parameter', why);
    }
    if (req.remote && !/^(https?:\/\/|git@|git:\/\/|github\.com\/)/.test(req.remote)) throw new EngineError('bad-parameter', `remote context ${JSON.stringify(req.remote)}: an http(s) tarball URL or a git URL`);
  }

  async *build(req: BuildRequest, context: AsyncIterable<Buffer> | undefined, signal?: AbortSignal): AsyncGenerator<BuildEvent> {
    this.check(req);
    const out = new Channel<BuildEvent>();
    const scratch = join(this.deps.paths.root, 'tmp', scratchName('work-'));
    const job: Job = { req, out, scratch, ctx: join(scratch, 'ctx'), escape: '\\', step: 0, total: 0, globalArgs: new Map(), usedArgs: new Set(), results: [], stages: [], containers: new Set(), removals: [], signal };
    const done = this.runJob(job, context).then(
      () => out.close(),
      (e) => out.close(e instanceof BuildError ? e : new BuildError(e instanceof Error ? e.message : String(e))),
    );
    try {
      yield* out;
    } finally {
      await done;
    }
  }

  private async runJob(job: Job, context: AsyncIterable<Buffer> | undefined): Promise<void> {
    await mkdir(job.ctx, { recursive: true, mode: 0o700 });
    try {
      await this.fetchContext(job, context);
      const text = await this.readDockerfile(job);
      const { parseDockerfile } = await dockerfileParser();
      const df = parseDockerfile(text);
      job.escape = df.escape;
      const build = { ...job.req.buildArgs };
      for (const a of df.globalArgs) {
        for (const p of a.props) {
          const v = p.name in build ? build[p.name] : p.value === undefined ? undefined : expand(p.value, (n) => job.globalArgs.get(n), job.escape);
          if (p.name in build) job.usedArgs.add(p.name);
          job.globalArgs.set(p.name, v);
        }
      }
      let last = df.stages.length - 1;
      if (job.req.target) {
        const t = job.req.target.toLowerCase();
        last = df.stages.findIndex((s) => s.name === t);
        if (last < 0) throw new BuildError(`failed to reach build target ${job.req.target} in Dockerfile`);
      }
      job.stages = df.stages.slice(0, last + 1);
      const labelStep = Object.keys(job.req.labels).length ? 1 : 0;
      job.total = job.stages.reduce((n, s) => n + 1 + s.body.length, 0) + labelStep;
      for (const stage of job.stages) {
        const st = await this.runStage(job, stage, stage.index === last && labelStep ? job.req.labels : undefined);
        job.results.push(st.image!);
      }
      let final = job.results.at(-1);
      if (!final) throw new BuildError('the build made no image: FROM scratch needs at least one step');
      if (job.req.squash) final = await this.squash(job, final);
      const unused = Object.keys(job.req.buildArgs).filter((k) => !job.usedArgs.has(k) && !PROXY_ARGS.includes(k));
      if (unused.length) job.out.push({ kind: 'note', text: `[Warning] One or more build-args [${unused.join(' ')}] were not consumed` });
      await Promise.all(job.removals);
      const names: string[] = [];
      for (const t of job.req.tags) names.push(this.deps.images.applyName(final.id, t));
      job.out.push({ kind: 'done', id: final.id, names });
    } catch (e) {
      if (e instanceof ExpandError) throw new BuildError(e.message);
      throw e;
    } finally {
      await Promise.all(job.removals);
      if (job.req.rm || job.req.forceRm) for (const id of job.containers) await this.deps.containers.remove(id, { force: true, volumes: true }).catch(() => undefined);
      await rm(job.scratch, { recursive: true, force: true }).catch(() => undefined);
    }
  }

  // ---- context ----

  private async fetchContext(job: Job, body: AsyncIterable<Buffer> | undefined): Promise<void> {
    const remote = job.req.remote;
    const split = join(job.scratch, 'ctx.split');
    if (remote && /^(git@|git:\/\/|github\.com\/)|\.git(#.*)?$/.test(remote)) {
      const [url, frag = ''] = remote.split('#');
      const [ref] = frag.split(':');
      try {
        await run('git', ['clone', '--depth', '1', '-q', ...(ref ? ['--branch', ref] : []), url, job.ctx], { timeout: 300_000 });
      } catch (e) {
        throw new BuildError(`unable to prepare context: git clone ${url}: ${((e as { stderr?: string }).stderr || (e as Error).message).trim()}`);
      }
      return;
    }
    if (remote) {
      let res: Response;
      try {
        res = await fetch(remote);
      } catch (e) {
        throw new BuildError(`unable to prepare context: downloading ${remote}: ${(e as Error).message}`);
      }
      if (!res.ok || !res.body) throw new BuildError(`unable to prepare context: downloading ${remote}: HTTP ${res.status}`);
      await rm(job.ctx, { recursive: true, force: true });
      await mkdir(job.ctx, { mode: 0o700 });
      await receiveContext(Readable.fromWeb(res.body as never) as AsyncIterable<Buffer>, job.ctx, split);
      return;
    }
    if (body) {
      await rm(job.ctx, { recursive: true, force: true });
      await mkdir(job.ctx, { mode: 0o700 });
      await receiveContext(body, job.ctx, split);
    }
  }

  private async readDockerfile(job: Job): Promise<string> {
    const given = job.req.dockerfile;
    const names = given ? [contextPath(given)] : ['Dockerfile', 'Containerfile', 'dockerfile'];
    for (const n of names) {
      try {
        const p = await resolveScoped(job.ctx, n);
        const text = await readFile(p, 'utf8');
        await applyDockerignore(job.ctx, [n, '.dockerignore']);
        return text;
      } catch (e) {
        if (e instanceof BuildError) throw e;
      }
    }
    throw new BuildError(`Cannot locate specified Dockerfile: ${given ?? 'Dockerfile'}`);
  }

  // ---- stages ----

  private stageByName(job: Job, name: string, before: number): ImageInfo | undefined {
    const lower = name.toLowerCase();
    const i = /^\d+$/.test(name) ? Number(name) : job.stages.findIndex((s) => s.name === lower);
    if (i >= 0 && i < before) return job.results[i];
    return undefined;
  }

  private async baseImage(job: Job, ref: string, before: number): Promise<ImageInfo | undefined> {
    if (ref.toLowerCase() === 'scratch') return undefined;
    const stage = this.stageByName(job, ref, before);
    if (stage) return stage;
    try {
      // Short names as the asking layer resolves them: docker.io for docker, registries.conf for podman.
      const pull = await this.deps.images.pull(ref, { policy: job.req.pull ? 'always' : 'missing', naming: job.req.flavor === 'docker' ? 'docker' : 'registries-conf' });
      const { id } = await pull.run();
      return this.deps.images.get(id)!;
    } catch (e) {
      if (e instanceof EngineError) throw new BuildError(`pull access denied or image not available for ${ref}: ${e.message}`);
      throw e;
    }
  }

  private emitStep(job: Job, text: string): void {
    job.out.push({ kind: 'step', n: ++job.step, total: job.total, instruction: text });
  }

  private async runStage(job: Job, stage: Stage, labels?: Record<string, string>): Promise<StageState> {
    this.emitStep(job, stage.from.text);
    const ref = expand(stage.base, (n) => job.globalArgs.get(n), job.escape);
    if (!ref) throw new BuildError(`base name (${stage.base}) should not be blank`);
    if (stage.platform) {
      const why = platformProblem(expand(stage.platform, (n) => job.globalArgs.get(n), job.escape));
      if (why) throw new BuildError(why);
    }
    const base = await this.baseImage(job, ref, stage.index);
    const st: StageState = { image: base, config: structuredClone(base?.cfg.config ?? {}) as StepConfig, args: new Map(), cmdSet: false };
    if (base) job.out.push({ kind: 'image', id: base.id });
    // ONBUILD triggers of the base run first, and are not inherited further.
    const triggers = st.config.OnBuild ?? [];
    if (triggers.length) {
      job.out.push({ kind: 'note', text: `# Executing ${triggers.length} build trigger${triggers.length > 1 ? 's' : ''}` });
      st.config.OnBuild = null;
      const { parseDockerfile } = await dockerfileParser();
      for (const t of triggers) {
        const parsed = parseDockerfile(`FROM scratch\n${t}`).stages[0].body;
        for (const ins of parsed) await this.runInstruction(job, st, ins, false);
      }
    }
    for (const ins of stage.body) await this.runInstruction(job, st, ins, true);
    if (labels) {
      const text = `LABEL ${Object.entries(labels).map(([k, v]) => `${JSON.stringify(k)}=${JSON.stringify(v)}`).join(' ')}`;
      const { parseDockerfile } = await dockerfileParser();
      const ins = parseDockerfile(`FROM scratch\n${text}`).stages[0].body[0];
      await this.runInstruction(job, st, ins, true);
    }
    if (!st.image) {
      // FROM scratch with only metadata: an image without layers.
      st.image = await commitStep(this.deps.images, { config: st.config, createdBy: '/bin/sh -c #(nop) FROM scratch' });
    }
    return st;
  }

  /** What `$NAME` means in a step: ENV first, then the stage's ARGs. */
  private lookup(job: Job, st: StageState): Lookup {
    const env = envMap(st.config.Env);
    return (n) => env.get(n) ?? (st.args.has(n) ? st.args.get(n) : undefined);
  }

  /** Build args in scope as NAME=value, for RUN's environment and the cache key. */
  private argEnv(job: Job, st: StageState): string[] {
    const out: string[] = [];
    for (const [k, v] of st.args) if (v !== undefined) out.push(`${k}=${v}`);
    for (const k of PROXY_ARGS) if (k in job.req.buildArgs && !st.args.has(k)) out.push(`${k}=${job.req.buildArgs[k]}`);
    return out;
  }

  private async runInstruction(job: Job, st: StageState, ins: Instruction, counted: boolean): Promise<void> {
    if (job.signal?.aborted) throw new BuildError('the build was cancelled: the client went away');
    if (counted) this.emitStep(job, ins.text);
    const x = (w: string) => expand(w, this.lookup(job, st), job.escape);
    if (ins.keyword === 'ARG') {
      for (const p of ins.props) {
        let v: string | undefined = p.value === undefined ? undefined : x(p.value);
        if (p.name in job.req.buildArgs) {
          v = job.req.buildArgs[p.name];
          job.usedArgs.add(p.name);
        } else if (v === undefined && job.globalArgs.has(p.name)) v = job.globalArgs.get(p.name);
        st.args.set(p.name, v);
      }
    }
    const args = this.argEnv(job, st);
    const shell = st.config.Shell?.length ? st.config.Shell : DEFAULT_SHELL;
    const parent = st.image?.id ?? '';
    // The instruction as the cache and history see it: expanded where docker expands.
    const expanded = ['RUN', 'CMD', 'ENTRYPOINT', 'HEALTHCHECK', 'ONBUILD', 'SHELL'].includes(ins.keyword) ? ins.text : x(ins.text);
    let content: string | undefined;
    let copy: (() => Promise<AsyncIterable<Buffer> | undefined>) | undefined;
    let release: (() => Promise<void>)[] = [];
    try {
      if (ins.keyword === 'COPY' || ins.keyword === 'ADD') {
        const prepared = await this.prepareCopy(job, st, ins, x);
        content = prepared.digest;
        copy = prepared.tar;
        release = prepared.release;
      }
      const key = cacheKey({ parent, instruction: `${ins.keyword === 'RUN' ? commandOf(ins, shell).join(' ') : expanded}`, args: ins.keyword === 'RUN' ? args : [], content });
      if (!job.req.noCache) {
        const hit = this.cache.get(key);
        const img = hit && this.deps.images.get(hit);
        if (img) {
          job.out.push({ kind: 'cached' });
          this.advance(st, img, ins);
          job.out.push({ kind: 'image', id: img.id });
          return;
        }
      }
      let img: ImageInfo;
      if (ins.keyword === 'RUN') img = await this.run(job, st, ins, shell, args);
      else if (copy) {
        const diff = await copy();
        img = await commitStep(this.deps.images, { parent: st.image, config: st.config, createdBy: `/bin/sh -c #(nop) ${expanded}`, diff });
      } else if (ins.keyword === 'ARG') {
        img = await commitStep(this.deps.images, { parent: st.image, config: st.config, createdBy: `/bin/sh -c #(nop) ${expanded}` });
      } else {
        const cfg = applyMeta(ins, st.config, this.lookup(job, st), job.escape, st);
        const diff = ins.keyword === 'WORKDIR' ? await this.workdirLayer(st, cfg.WorkingDir!) : undefined;
        img = await commitStep(this.deps.images, { parent: st.image, config: cfg, createdBy: `/bin/sh -c #(nop) ${expanded}`, diff });
      }
      this.cache.put(key, img.id);
      this.advance(st, img, ins);
      job.out.push({ kind: 'image', id: img.id });
    } finally {
      for (const r of release) await r().catch(() => undefined);
    }
  }

  private advance(st: StageState, img: ImageInfo, ins: Instruction): void {
    st.image = img;
    st.config = structuredClone(img.cfg.config ?? {}) as StepConfig;
    if (ins.keyword === 'CMD') st.cmdSet = true;
  }

  // ---- RUN ----

  private async run(job: Job, st: StageState, ins: Instruction, shell: string[], args: string[]): Promise<ImageInfo> {
    if (!st.image) throw new BuildError('RUN needs a base image: the stage is FROM scratch with no files');
    const argv = commandOf(ins, shell);
    let env = st.config.Env ?? [];
    for (const a of args) {
      const [k] = a.split('=');
      if (!envMap(env).has(k)) env = setEnv(env, k, a.slice(k.length + 1));
    }
    let cid = '';
    // A client that goes away stops the step: its container is killed, then removed with the rest.
    // A kill may come while the start is still under way: it is tried again until the step ends.
    let ended = false;
    const kill = () =>
      void (async () => {
        while (!ended) {
          if (cid) await this.deps.containers.kill(cid, 'SIGKILL').catch(() => undefined);
          await new Promise((r) => setTimeout(r, 200));
        }
      })();
    job.signal?.addEventListener('abort', kill, { once: true });
    const { id, exitCode } = await runContainer(
      this.deps.containers,
      { imageId: st.image.id, argv, env, user: st.config.User ?? '', workdir: st.config.WorkingDir ?? '', settings: job.req.run, flavor: job.req.flavor },
      (text) => job.out.push({ kind: 'output', text }),
      (created) => {
        cid = created;
        job.containers.add(created);
        job.out.push({ kind: 'running', container: created });
      },
    )
      .catch((e) => {
        throw new BuildError(`RUN ${argv.join(' ')}: ${(e as Error).message}`);
      })
      .finally(() => {
        ended = true;
        job.signal?.removeEventListener('abort', kill);
      });
    if (job.signal?.aborted) throw new BuildError('the build was cancelled: the client went away');
    if (exitCode !== 0) throw new BuildError(`The command '${argv.join(' ')}' returned a non-zero code: ${exitCode}`, exitCode);
    const v = this.deps.containers.get(id);
    const exclude = new Set(placeholderPaths(v, this.deps.files).map((p) => p.slice(1)));
    const changed = await this.upperChanged(v.dirs.upper, exclude, st.image);
    const createdBy = args.length ? `|${args.length} ${args.join(' ')} ${argv.join(' ')}` : argv.join(' ');
    const img = await commitStep(this.deps.images, { parent: st.image, config: st.config, createdBy, diff: changed ? diffTar(v.dirs.upper, exclude) : undefined, container: id });
    if (job.req.rm || job.req.forceRm) {
      // Removed while the next steps run; the build awaits every removal before it reports.
      job.out.push({ kind: 'removed', container: id });
      job.removals.push(
        this.deps.containers.remove(id, { force: true, volumes: true }).then(
          () => void job.containers.delete(id),
          () => undefined,
        ),
      );
    } else job.containers.delete(id);
    return img;
  }

  /** Whether the container's upper dir holds anything but runtime placeholders and the dirs above them. */
  private async upperChanged(upper: string, exclude: Set<string>, img: ImageInfo): Promise<boolean> {
    const { readdir } = await import('node:fs/promises');
    const walk = async (rel: string): Promise<boolean> => {
      for (const name of await readdir(join(upper, rel))) {
        const r = rel ? `${rel}/${name}` : name;
        if (exclude.has(r)) continue;
        const st = await lstat(join(upper, r));
        if (!st.isDirectory()) return true;
        const below = await statInImage(this.deps.images, img, r);
        if (!below || !below.isDirectory() || (below.mode & 0o7777) !== (st.mode & 0o7777) || below.uid !== st.uid || below.gid !== st.gid) return true;
        if (await walk(r)) return true;
      }
      return false;
    };
    return walk('');
  }

  // ---- WORKDIR ----

  private async workdirLayer(st: StageState, dir: string): Promise<AsyncIterable<Buffer> | undefined> {
    if (dir === '/' || (await statInImage(this.deps.images, st.image, dir))?.isDirectory()) return undefined;
    const parents = await this.parentsOf(st, dir, true);
    return copyTar({ sources: [], dest: dir, destIsDir: true, extract: false, parents });
  }

  /** Ancestors of `dest` (and itself with `self`) with the metadata the image gives them. */
  private async parentsOf(st: StageState, dest: string, self = false) {
    const parts = dest.split('/').filter(Boolean);
    const out: { path: string; mode: number; uid: number; gid: number }[] = [];
    for (let i = 1; i <= parts.length - (self ? 0 : 1); i++) {
      const p = `/${parts.slice(0, i).join('/')}`;
      const s = await statInImage(this.deps.images, st.image, p);
      out.push(s?.isDirectory() ? { path: p, mode: s.mode & 0o7777, uid: s.uid, gid: s.gid } : { path: p, mode: 0o755, uid: 0, gid: 0 });
    }
    return out;
  }

  // ---- COPY / ADD ----

  private async prepareCopy(job: Job, st: StageState, ins: Instruction, x: (w: string) => string) {
    const words = (ins.json ?? ins.words).map(x);
    if (words.length < 2) throw new BuildError(`${ins.keyword} requires at least two arguments, but got ${words.length}`);
    const destWord = words.at(-1)!;
    const srcWords = words.slice(0, -1);
    const release: (() => Promise<void>)[] = [];
    let root = job.ctx;
    const from = ins.flags.from;
    if (from !== undefined) {
      if (ins.keyword === 'ADD') throw new BuildError('ADD --from is not supported: use COPY --from');
      const ref = x(from);
      const current = job.stages.findIndex((s) => s.body.includes(ins));
      const img = this.stageByName(job, ref, current < 0 ? job.results.length : current) ?? (await this.baseImage(job, ref, job.results.length).catch((e) => {
        throw new BuildError(`COPY --from=${ref}: no such stage or image (${(e as Error).message})`);
      }));
      if (!img) throw new BuildError(`COPY --from=${ref}: a scratch stage has no files`);
      const opened = await openImageRoot(this.deps.images, img, job.scratch);
      root = opened.dir;
      release.push(opened.release);
    }
    const what = from !== undefined ? `the image of --from=${from}` : 'the build context';
    const sources: CopySource[] = [];
    const digestInputs: { abs: string; name: string }[] = [];
    for (const w of srcWords) {
      if (ins.keyword === 'ADD' && /^https?:\/\//.test(w)) {
        const file = join(job.scratch, `url-${sources.length}`);
        const res = await fetch(w).catch((e: Error) => {
          throw new BuildError(`ADD ${w}: ${e.message}`);
        });
        if (!res.ok || !res.body) throw new BuildError(`ADD ${w}: HTTP ${res.status}`);
        await pipeline(Readable.fromWeb(res.body as never), createWriteStream(file, { mode: 0o600 }));
        const name = posix.basename(new URL(w).pathname) || 'download';
        sources.push({ abs: file, name, mode: 0o600 });
        digestInputs.push({ abs: file, name: w });
        continue;
      }
      let rels: string[];
      try {
        rels = from !== undefined ? [w.replace(/^\/+/, '')] : await expandSource(root, w);
      } catch (e) {
        throw e instanceof BuildError ? e : new BuildError((e as Error).message);
      }
      for (const rel of rels) {
        const abs = await resolveScoped(root, rel, true, what);
        try {
          await lstat(abs);
        } catch {
          throw new BuildError(`${ins.keyword} failed: file not found in ${from === undefined ? 'build context or excluded by .dockerignore' : what}: stat ${rel}: file does not exist`);
        }
        sources.push({ abs, name: posix.basename(rel) || '.' });
        digestInputs.push({ abs, name: rel });
      }
    }
    const dest = posix.resolve(st.config.WorkingDir || '/', destWord);
    const existing = await statInImage(this.deps.images, st.image, dest);
    const destIsDir = destWord.endsWith('/') || sources.length > 1 || !!existing?.isDirectory();
    if (sources.length > 1 && !destWord.endsWith('/')) throw new BuildError(`When using ${ins.keyword} with more than one source file, the destination must be a directory and end with a /`);
    const owner = ins.flags.chown ? await resolveOwner(this.deps.images, st.image, x(ins.flags.chown)).catch((e: Error) => {
      throw new BuildError(e.message);
    }) : undefined;
    let chmod: number | undefined;
    if (ins.flags.chmod) {
      if (!/^[0-7]{3,4}$/.test(ins.flags.chmod)) throw new BuildError(`invalid --chmod ${JSON.stringify(ins.flags.chmod)}: an octal mode such as 0644`);
      chmod = parseInt(ins.flags.chmod, 8);
    }
    const digest = await contentDigest(digestInputs);
    const parents = await this.parentsOf(st, dest, false);
    const existingDest = existing?.isDirectory() ? { mode: existing.mode & 0o7777, uid: existing.uid, gid: existing.gid } : undefined;
    return {
      digest: `${digest}:${destIsDir}:${owner ? `${owner.uid}:${owner.gid}` : ''}:${chmod ?? ''}`,
      release,
      tar: async () => copyTar({ sources, dest, destIsDir, owner, chmod, extract: ins.keyword === 'ADD', parents, existingDest }),
    };
  }

  // ---- squash ----

  /** The final image's layers above its first stage's base, as one layer. */
  private async squash(job: Job, img: ImageInfo): Promise<ImageInfo> {
    void job;
    // Squashing needs the merged tree: the read-only mount of the image, exported whole.
    const opened = await openImageRoot(this.deps.images, img, job.scratch);
    try {
      return await commitStep(this.deps.images, { config: img.cfg.config ?? {}, createdBy: '/bin/sh -c #(nop) squashed', diff: diffTar(opened.dir) });
    } finally {
      await opened.release();
    }
  }
}
