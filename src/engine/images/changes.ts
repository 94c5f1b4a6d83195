// Dockerfile instructions accepted by `docker import --change` and `docker commit --change`.
import { badParameter } from '../errors.js';
import { clip, quote as quoted } from '../../lib/clip.js';
import { parseDurationNs } from '../../lib/time.js';
import type { ContainerConfigLike } from './types.js';

const ALLOWED = ['CMD', 'ENTRYPOINT', 'ENV', 'EXPOSE', 'HEALTHCHECK', 'LABEL', 'ONBUILD', 'STOPSIGNAL', 'USER', 'VOLUME', 'WORKDIR'];

function jsonArray(s: string): string[] | undefined {
  if (!s.startsWith('[')) return undefined;
  try {
    const v = JSON.parse(s) as unknown;
    if (Array.isArray(v) && v.every((x) => typeof x === 'string')) return v;
  } catch {
    // Not JSON: docker then treats the text as shell form.
  }
  return undefined;
}

/** Splits `a=b "c d"=e f='g h'` into words, honouring quotes and backslashes. */
export function splitWords(s: string): string[] {
  const out: string[] = [];
  let cur = '';
  let quote: string | null = null;
  let inWord = false;
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (quote) {
      if (c === quote) quote = null;
      else if (c === '\\' && quote === '"' && i + 1 < s.length) cur += s[++i];
      else cur += c;
    } else if (c === '"' || c === "'") {
      quote = c;
      inWord = true;
    } else if (c === '\\' && i + 1 < s.length) {
      cur += s[++i];
      inWord = true;
    } else if (/\s/.test(c)) {
      if (inWord) out.push(cur);
      cur = '';
      inWord = false;
    } else {
      cur += c;
      inWord = true;
    }
  }
  if (quote) throw badParameter(`unterminated quote in ${quoted(s)}`);
  if (inWord) out.push(cur);
  return out;
}

/** `K=V K2=V2`, or the legacy single `K V` form. */
function keyValues(args: string, instr: string): [string, string][] {
  const words = splitWords(args);
  if (!words.length) throw badParameter(`${instr} requires at least one argument`);
  if (!words[0].includes('=')) {
    const sp = args.trim().search(/\s/);
    if (sp < 0) throw badParameter(`${instr} ${clip(args)}: expected KEY=VALUE`);
    const k = args.trim().slice(0, sp);
    return [[k, splitWords(args.trim().slice(sp + 1)).join(' ')]];
  }
  return words.map((w) => {
    const i = w.indexOf('=');
    if (i <= 0) throw badParameter(`${instr}: ${quoted(w)} is not KEY=VALUE`);
    return [w.slice(0, i), w.slice(i + 1)];
  });
}

/** Applies each change (e.g. `CMD ["sh"]`, `ENV A=b`) to a copy of `config`. */
export function applyChanges(config: ContainerConfigLike, changes: string[]): ContainerConfigLike {
  const c: ContainerConfigLike = structuredClone(config);
  for (const raw of changes) {
    const line = raw.trim();
    if (!line) continue;
    const m = /^(\S+)\s*([\s\S]*)$/.exec(line)!;
    const instr = m[1].toUpperCase();
    const args = m[2].trim();
    if (!ALLOWED.includes(instr)) throw badParameter(`${clip(m[1])} is not a valid change command`);
    switch (instr) {
      case 'CMD':
      case 'ENTRYPOINT': {
        const v = jsonArray(args) ?? (args ? ['/bin/sh', '-c', args] : []);
        if (instr === 'CMD') c.Cmd = v;
        else c.Entrypoint = v;
        break;
      }
      case 'ENV': {
        const env = [...(c.Env ?? [])];
        for (const [k, v] of keyValues(args, 'ENV')) {
          const i = env.findIndex((e) => e.split('=')[0] === k);
          if (i >= 0) env[i] = `${k}=${v}`;
          else env.push(`${k}=${v}`);
        }
        c.Env = env;
        break;
      }
      case 'LABEL':
        c.Labels = { ...(c.Labels ?? {}) };
        for (const [k, v] of keyValues(args, 'LABEL')) c.Labels[k] = v;
        break;
      case 'EXPOSE':
        c.ExposedPorts = { ...(c.ExposedPorts ?? {}) };
        for (const p of splitWords(args)) {
          if (!/^\d+(-\d+)?(\/(tcp|udp|sctp))?$/i.test(p)) throw badParameter(`EXPOSE: invalid port ${quoted(p)}`);
          c.ExposedPorts[p.includes('/') ? p.toLowerCase() : `${p}/tcp`] = {};
        }
        break;
      case 'VOLUME': {
        c.Volumes = { ...(c.Volumes ?? {}) };
        for (const v of jsonArray(args) ?? splitWords(args)) c.Volumes[v] = {};
        break;
      }
      case 'USER':
        c.User = args;
        break;
      case 'WORKDIR':
        c.WorkingDir = args.startsWith('/') ? args : `${(c.WorkingDir || '/').replace(/\/$/, '')}/${args}`;
        break;
      case 'STOPSIGNAL':
        c.StopSignal = args;
        break;
      case 'ONBUILD':
        c.OnBuild = [...(c.OnBuild ?? []), args];
        break;
      case 'HEALTHCHECK': {
        if (/^NONE$/i.test(args)) c.Healthcheck = { Test: ['NONE'] };
        else {
          const flags = /^((?:--\S+\s+)*)/.exec(args)![1];
          const cmd = /^CMD\s+([\s\S]*)$/i.exec(args.slice(flags.length));
          if (!cmd) throw badParameter('HEALTHCHECK: expected NONE or CMD');
          const v = jsonArray(cmd[1].trim());
          c.Healthcheck = { Test: v ? ['CMD', ...v] : ['CMD-SHELL', cmd[1].trim()], ...healthcheckFlags(flags) };
        }
        break;
      }
    }
  }
  return c;
}

const HEALTH_FLAGS: Record<string, 'Interval' | 'Timeout' | 'StartPeriod' | 'StartInterval'> = {
  interval: 'Interval', timeout: 'Timeout', 'start-period': 'StartPeriod', 'start-interval': 'StartInterval',
};

/** HEALTHCHECK's options (`--interval=5s --retries=3`) as the image config holds them: durations in nanoseconds. */
export function healthcheckFlags(text: string): { Interval?: number; Timeout?: number; StartPeriod?: number; StartInterval?: number; Retries?: number } {
  const out: ReturnType<typeof healthcheckFlags> = {};
  for (const f of text.trim().split(/\s+/).filter(Boolean)) {
    const m = /^--([a-z-]+)=(.*)$/.exec(f);
    if (!m) throw badParameter(`HEALTHCHECK: malformed option ${quoted(f)}`);
    const [, name, value] = m;
    if (name === 'retries') {
      if (!/^\d+$/.test(value)) throw badParameter(`HEALTHCHECK: --retries must be a whole number, not ${quoted(value)}`);
      out.Retries = Number(value);
      continue;
    }
    const key = HEALTH_FLAGS[name];
    if (!key) throw badParameter(`HEALTHCHECK: unknown option --${clip(name)}`);
    const ns = parseDurationNs(value);
    if (ns === undefined || ns < 0n) throw badParameter(`HEALTHCHECK: --${name} must be a duration such as 30s, not ${quoted(value)}`);
    out[key] = Number(ns);
  }
  return out;
}
