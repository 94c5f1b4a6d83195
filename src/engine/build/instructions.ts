// The metadata instructions: each changes the image config only (ENV, LABEL, EXPOSE, USER,
// WORKDIR's path, VOLUME, ENTRYPOINT, CMD, HEALTHCHECK, SHELL, STOPSIGNAL, ONBUILD, MAINTAINER).
import { posix } from 'node:path';
import { goDurationNs } from '../../lib/time.js';
import type { ContainerConfigLike } from '../images/types.js';
import { expand, type Lookup } from './expand.js';
import type { Instruction } from './parse.js';
import { BuildError } from './types.js';

export const DEFAULT_SHELL = ['/bin/sh', '-c'];

/** The config a build step carries: docker's container config plus its SHELL. */
export type StepConfig = ContainerConfigLike & { Shell?: string[] };

export function setEnv(env: string[], name: string, value: string): string[] {
  return [...env.filter((e) => e.split('=')[0] !== name), `${name}=${value}`];
}

export function envMap(env: string[] | undefined): Map<string, string> {
  const m = new Map<string, string>();
  for (const e of env ?? []) {
    const i = e.indexOf('=');
    if (i > 0) m.set(e.slice(0, i), e.slice(i + 1));
  }
  return m;
}

/** The argv of RUN/CMD/ENTRYPOINT: the exec form as given, the shell form through SHELL. */
export function commandOf(ins: Instruction, shell: string[]): string[] {
  return ins.json ?? [...shell, ins.args];
}

function durationFlag(ins: Instruction, name: string): number | undefined {
  const v = ins.flags[name];
  if (v === undefined || v === '') return undefined;
  const ns = goDurationNs(v);
  if (ns === undefined || ns < 0n) throw new BuildError(`HEALTHCHECK: invalid --${name} ${JSON.stringify(v)}: a duration such as 30s`);
  return Number(ns);
}

function healthcheck(ins: Instruction, shell: string[]): ContainerConfigLike['Healthcheck'] {
  const rest = ins.args.trim();
  if (/^none$/i.test(rest)) return { Test: ['NONE'] };
  const m = /^cmd\s+([\s\S]*)$/i.exec(rest);
  if (!m) throw new BuildError(`HEALTHCHECK: unknown type ${JSON.stringify(rest.split(/\s+/)[0] ?? '')}: CMD or NONE`);
  const cmd = m[1].trim();
  let test: string[];
  try {
    const j = JSON.parse(cmd) as unknown;
    test = Array.isArray(j) && j.every((x) => typeof x === 'string') ? ['CMD', ...j] : ['CMD-SHELL', cmd];
  } catch {
    test = ['CMD-SHELL', cmd];
  }
  void shell;
  const retries = ins.flags.retries;
  if (retries !== undefined && !/^\d+$/.test(retries)) throw new BuildError(`HEALTHCHECK: invalid --retries ${JSON.stringify(retries)}`);
  const hc: NonNullable<ContainerConfigLike['Healthcheck']> = { Test: test };
  const interval = durationFlag(ins, 'interval');
  const timeout = durationFlag(ins, 'timeout');
  const start = durationFlag(ins, 'start-period');
  if (interval) hc.Interval = interval;
  if (timeout) hc.Timeout = timeout;
  if (start) hc.StartPeriod = start;
  if (retries) hc.Retries = Number(retries);
  return hc;
}

/**
 * Applies a metadata instruction to `cfg` (a copy is returned). `cmdFromBase` says whether CMD
 * is still the base image's: an ENTRYPOINT then clears it, as docker does.
 */
export function applyMeta(ins: Instruction, cfg: StepConfig, lookup: Lookup, escape: string, state: { cmdSet: boolean }): StepConfig {
  const c: StepConfig = structuredClone(cfg);
  const x = (w: string) => expand(w, lookup, escape);
  const shell = c.Shell?.length ? c.Shell : DEFAULT_SHELL;
  switch (ins.keyword) {
    case 'ENV':
      if (!ins.props.length) throw new BuildError('ENV requires at least one argument');
      for (const p of ins.props) {
        if (p.value === undefined) throw new BuildError(`ENV names ${p.name} without a value`);
        c.Env = setEnv(c.Env ?? [], p.name, x(p.value));
      }
      break;
    case 'LABEL':
      if (!ins.props.length) throw new BuildError('LABEL requires at least one argument');
      c.Labels = { ...(c.Labels ?? {}) };
      for (const p of ins.props) c.Labels[x(p.name)] = x(p.value ?? '');
      break;
    case 'MAINTAINER':
      break; // kept in the history (and author) only
    case 'EXPOSE':
      c.ExposedPorts = { ...(c.ExposedPorts ?? {}) };
      for (const w of ins.words) {
        const p = x(w);
        const m = /^(\d+)(?:-(\d+))?(?:\/(tcp|udp|sctp))?$/i.exec(p);
        if (!m) throw new BuildError(`EXPOSE: invalid port ${JSON.stringify(p)}`);
        const proto = (m[3] ?? 'tcp').toLowerCase();
        for (let n = Number(m[1]); n <= Number(m[2] ?? m[1]); n++) c.ExposedPorts[`${n}/${proto}`] = {};
      }
      break;
    case 'USER':
      if (!ins.args) throw new BuildError('USER requires exactly one argument');
      c.User = x(ins.args);
      break;
    case 'WORKDIR':
      if (!ins.args) throw new BuildError('WORKDIR requires exactly one argument');
      c.WorkingDir = posix.resolve(c.WorkingDir || '/', x(ins.args));
      break;
    case 'VOLUME': {
      const paths = ins.json ?? ins.words;
      if (!paths.length) throw new BuildError('VOLUME requires at least one argument');
      c.Volumes = { ...(c.Volumes ?? {}) };
      for (const p of paths) c.Volumes[x(p)] = {};
      break;
    }
    case 'ENTRYPOINT':
      c.Entrypoint = ins.args ? commandOf(ins, shell) : null;
      if (!state.cmdSet) c.Cmd = null;
      break;
    case 'CMD':
      c.Cmd = commandOf(ins, shell);
      state.cmdSet = true;
      break;
    case 'HEALTHCHECK':
      c.Healthcheck = healthcheck(ins, shell);
      break;
    case 'SHELL':
      if (!ins.json?.length) throw new BuildError('SHELL requires the arguments to be in JSON form');
      c.Shell = ins.json;
      break;
    case 'STOPSIGNAL':
      c.StopSignal = x(ins.args);
      break;
    case 'ONBUILD': {
      const kw = ins.args.split(/\s+/)[0]?.toUpperCase();
      if (kw === 'ONBUILD') throw new BuildError('Chaining ONBUILD via `ONBUILD ONBUILD` isn\'t allowed');
      if (kw === 'FROM' || kw === 'MAINTAINER') throw new BuildError(`${kw} isn't allowed as an ONBUILD trigger`);
      c.OnBuild = [...(c.OnBuild ?? []), ins.args];
      break;
    }
    default:
      throw new BuildError(`${ins.keyword} is not a metadata instruction`);
  }
  return c;
}
