// The access policy (--policy FILE): who may call what, and with which dangerous settings.
// Rules are tried in order; the first whose peer selector matches the peer decides. A request no
// rule's selector matches is denied: a policy file only ever narrows access. README "Access
// policy" documents the format.
import { describePeer, type Peer } from './peer.js';
import type { GuardedRequest } from './request.js';

export class PolicyError extends Error {}

/** `METHOD /path/pattern`, methods a comma list or `*`; `*` is one path segment, `**` any number. */
export interface Pattern {
  text: string;
  methods: Set<string> | '*';
  segments: string[];
}

/** What a rule lets through in request bodies; undefined = not limited. */
export interface Limits {
  privileged?: boolean;
  /** Host path prefixes binds may come from. */
  hostBinds?: string[];
  hostNamespaces?: boolean;
  /** Capabilities that may be added (upper case, without CAP_); "ALL" any. */
  capAdd?: string[];
  devices?: boolean;
  /** security-opt that switches confinement off (seccomp/apparmor unconfined, no-new-privileges=false...). */
  unconfined?: boolean;
}

export interface Rule {
  /** 1-based, for messages. */
  index: number;
  name?: string;
  uids?: number[];
  gids?: number[];
  /** Each a set of certificate subject attributes that must all be present. */
  subjects?: Record<string, string>[];
  profile?: string;
  allow: Pattern[];
  deny: Pattern[];
  limits: Limits;
}

export interface Policy {
  rules: Rule[];
}

export type Verdict = { allowed: true; rule: Rule } | { allowed: false; rule?: Rule; reason: string };

interface Profile {
  allow: string[];
  deny: string[];
  limits: Limits;
}

const SAFE: Limits = { privileged: false, hostBinds: [], hostNamespaces: false, capAdd: [], devices: false, unconfined: false };

/**
 * Built-in profiles. read-only: whatever only reads (GET and HEAD), less what reads by running or
 * attaching (attach over websocket). restricted: every call, with the safe limits. full: everything.
 */
const PROFILES: Record<string, Profile> = {
  'read-only': {
    allow: ['GET,HEAD /**'],
    deny: ['GET,HEAD /containers/*/attach/**'],
    limits: SAFE,
  },
  restricted: { allow: ['* /**'], deny: [], limits: SAFE },
  full: { allow: ['* /**'], deny: [], limits: {} },
};

const METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'DELETE']);
const RULE_KEYS = new Set(['name', 'uid', 'gid', 'subject', 'profile', 'allow', 'deny', 'privileged', 'host-binds', 'host-namespaces', 'cap-add', 'devices', 'unconfined']);

export function parsePattern(text: string, where: string): Pattern {
  const m = /^(\S+)\s+(\/\S*)$/.exec(text.trim());
  if (!m) throw new PolicyError(`${where}: "${text}" is not "METHOD /path" (e.g. "GET /containers/**")`);
  let methods: Set<string> | '*' = '*';
  if (m[1] !== '*') {
    methods = new Set(m[1].toUpperCase().split(','));
    for (const x of methods) if (!METHODS.has(x)) throw new PolicyError(`${where}: unknown method "${x}" in "${text}" (GET, HEAD, POST, PUT, DELETE or *)`);
  }
  const segments = m[2].split('/').filter(Boolean);
  if (segments[0] && /^v\d/.test(segments[0])) throw new PolicyError(`${where}: "${text}": write paths without the version prefix (it is stripped before matching)`);
  return { text: text.trim(), methods, segments };
}

function segmentsMatch(p: string[], s: string[], i = 0, j = 0): boolean {
  for (; i < p.length; i++, j++) {
    if (p[i] === '**') {
      for (let k = j; k <= s.length; k++) if (segmentsMatch(p, s, i + 1, k)) return true;
      return false;
    }
    if (j >= s.length) return false;
    if (p[i] !== '*' && !globSegment(p[i], s[j])) return false;
  }
  return j === s.length;
}

/** A segment pattern: literal, with `*` inside standing for any characters (`*.tar`). */
function globSegment(p: string, s: string): boolean {
  if (!p.includes('*')) return p === s;
  const re = new RegExp(`^${p.split('*').map((x) => x.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`);
  return re.test(s);
}

/**
 * The request path as patterns see it: without the version prefix, split into decoded segments
 * (split before decoding, so a `%2F` in a name stays inside its segment, as the router reads it).
 */
export function pathSegments(rawPath: string): string[] {
  const segs = rawPath.split('/').filter(Boolean).map((s) => {
    try {
      return decodeURIComponent(s);
    } catch {
      return s;
    }
  });
  if (segs[0] && /^v\d+(\.\d+){0,2}$/.test(segs[0])) segs.shift();
  return segs;
}

/** Patterns without `/libpod` match both layers; patterns with it only libpod's. */
export function patternMatches(p: Pattern, method: string, segs: string[]): boolean {
  if (p.methods !== '*' && !p.methods.has(method)) return false;
  if (segmentsMatch(p.segments, segs)) return true;
  return segs[0] === 'libpod' && p.segments[0] !== 'libpod' && p.segments[0] !== '**' && segmentsMatch(p.segments, segs.slice(1));
}

export function peerMatches(r: Rule, p: Peer): boolean {
  if (r.uids && !(p.transport === 'unix' && r.uids.includes(p.uid))) return false;
  if (r.gids && !(p.transport === 'unix' && r.gids.includes(p.gid))) return false;
  if (r.subjects) {
    if (p.transport !== 'tls') return false;
    if (!r.subjects.some((want) => Object.entries(want).every(([k, v]) => p.subject[k] === v))) return false;
  }
  return true;
}

export function ruleLabel(r: Rule): string {
  return `policy rule ${r.index}${r.name ? ` "${r.name}"` : ''}`;
}

/** Method and path: the first rule for this peer decides; its deny patterns win over its allows. */
export function decide(policy: Policy, peer: Peer, method: string, rawPath: string): Verdict {
  const rule = policy.rules.find((r) => peerMatches(r, peer));
  if (!rule) return { allowed: false, reason: `no policy rule applies to ${describePeer(peer)}` };
  const segs = pathSegments(rawPath);
  const denied = rule.deny.find((p) => patternMatches(p, method, segs));
  if (denied) return { allowed: false, rule, reason: `${ruleLabel(rule)} denies ${method} ${rawPath} ("${denied.text}")` };
  if (!rule.allow.some((p) => patternMatches(p, method, segs))) {
    return { allowed: false, rule, reason: `${ruleLabel(rule)}${rule.profile ? ` (profile ${rule.profile})` : ''} does not allow ${method} ${rawPath}` };
  }
  return { allowed: true, rule };
}

const UNCONFINED = /^(seccomp[=:]unconfined|apparmor[=:]unconfined|no-new-privileges[=:](false|0)|label[=:]disable|systempaths[=:]unconfined|unmask[=:].+|mask[=:]$)$/i;

const underPrefix = (path: string, prefix: string) => {
  const p = prefix.replace(/\/+$/, '');
  return p === '' || path === p || path.startsWith(`${p}/`);
};
/** A host path without `.` and `..` steps, so `/srv/../etc` is judged as `/etc`. */
function normalise(path: string): string {
  const out: string[] = [];
  for (const s of path.split('/')) {
    if (!s || s === '.') continue;
    if (s === '..') out.pop();
    else out.push(s);
  }
  return `/${out.join('/')}`;
}
const capName = (c: string) => c.toUpperCase().replace(/^CAP_/, '');

/** The body rules of the rule that allowed the request: undefined when it passes, else why not. */
export function checkBody(rule: Rule, g: GuardedRequest, label?: string): string | undefined {
  const l = rule.limits;
  const what = label ?? g.kind.replace('-', ' ');
  const no = (x: string, allowed?: string[]) => `${ruleLabel(rule)} forbids ${x} (${what}${allowed?.length ? `; allowed: ${allowed.join(', ')}` : ''})`;
  if (l.privileged === false && g.privileged) return no('privileged');
  if (l.hostBinds) {
    for (const p of g.hostPaths) {
      const n = normalise(p);
      if (!l.hostBinds.some((pre) => underPrefix(n, pre))) {
        return no(`binding host path ${p}`, l.hostBinds);
      }
    }
  }
  if (l.hostNamespaces === false) {
    for (const [ns, mode] of Object.entries(g.namespaces)) if (mode === 'host') return no(`the host ${ns} namespace`);
  }
  if (l.capAdd && !l.capAdd.includes('ALL')) {
    const extra = g.capAdd.map(capName).filter((c) => !l.capAdd!.includes(c));
    if (extra.length) return no(`adding capabilities ${extra.join(', ')}`, l.capAdd);
  }
  if (l.devices === false && g.devices.length) return no(`devices (${g.devices.join(', ')})`);
  if (l.unconfined === false) {
    const bad = g.securityOpt.find((o) => UNCONFINED.test(o.trim()));
    if (bad) return no(`security-opt ${bad}`);
  }
  return undefined;
}

// ---- the file

type Table = Record<string, unknown>;
const isTable = (v: unknown): v is Table => !!v && typeof v === 'object' && !Array.isArray(v) && !(v instanceof Date);

function ints(v: unknown, where: string): number[] {
  const list = Array.isArray(v) ? v : [v];
  return list.map((x) => {
    const n = typeof x === 'bigint' ? Number(x) : x;
    if (typeof n !== 'number' || !Number.isSafeInteger(n) || n < 0) throw new PolicyError(`${where}: expected a non-negative integer or a list of them, got ${JSON.stringify(String(x))}`);
    return n;
  });
}
function strings(v: unknown, where: string): string[] {
  const list = Array.isArray(v) ? v : [v];
  if (!list.every((x) => typeof x === 'string')) throw new PolicyError(`${where}: expected a string or a list of strings`);
  return list as string[];
}
function bool(v: unknown, where: string): boolean {
  if (typeof v !== 'boolean') throw new PolicyError(`${where}: expected true or false`);
  return v;
}
/** `CN=ci,O=acme` → {CN: 'ci', O: 'acme'}. */
function parseSubject(s: string, where: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of s.split(',')) {
    const m = /^\s*([A-Za-z][\w.]*)\s*=\s*(.*?)\s*$/.exec(part);
    if (!m || !m[2]) throw new PolicyError(`${where}: "${s}" is not a certificate subject like "CN=ci,O=acme"`);
    out[m[1]] = m[2];
  }
  return out;
}

/** The parsed TOML document as a policy; every mistake is a PolicyError naming where. */
export function buildPolicy(doc: Table): Policy {
  for (const k of Object.keys(doc)) if (k !== 'rule') throw new PolicyError(`unknown key "${k}" (a policy is a list of [[rule]] tables)`);
  const list = doc.rule;
  if (list === undefined) throw new PolicyError('no [[rule]]: a policy needs at least one rule (for read-only access for everyone: [[rule]] profile = "read-only")');
  if (!Array.isArray(list) || !list.every(isTable)) throw new PolicyError('"rule" must be an array of tables: write each as [[rule]]');
  const rules = list.map((t, i): Rule => {
    const index = i + 1;
    const where = `rule ${index}`;
    for (const k of Object.keys(t)) if (!RULE_KEYS.has(k)) throw new PolicyError(`${where}: unknown key "${k}" (known: ${[...RULE_KEYS].join(', ')})`);
    const r: Rule = { index, allow: [], deny: [], limits: {} };
    if (t.name !== undefined) r.name = strings(t.name, `${where}.name`)[0];
    if (t.uid !== undefined) r.uids = ints(t.uid, `${where}.uid`);
    if (t.gid !== undefined) r.gids = ints(t.gid, `${where}.gid`);
    if (t.subject !== undefined) r.subjects = strings(t.subject, `${where}.subject`).map((s) => parseSubject(s, `${where}.subject`));
    let prof: Profile | undefined;
    if (t.profile !== undefined) {
      r.profile = strings(t.profile, `${where}.profile`)[0];
      prof = PROFILES[r.profile];
      if (!prof || Array.isArray(t.profile)) throw new PolicyError(`${where}: unknown profile ${JSON.stringify(t.profile)} (known: ${Object.keys(PROFILES).join(', ')})`);
    }
    r.allow = [...(prof?.allow ?? []), ...(t.allow === undefined ? [] : strings(t.allow, `${where}.allow`))].map((p) => parsePattern(p, `${where}.allow`));
    r.deny = [...(prof?.deny ?? []), ...(t.deny === undefined ? [] : strings(t.deny, `${where}.deny`))].map((p) => parsePattern(p, `${where}.deny`));
    if (!r.allow.length) throw new PolicyError(`${where} allows nothing: give it a profile (${Object.keys(PROFILES).join(', ')}) or allow patterns`);
    const l: Limits = { ...(prof?.limits ?? {}) };
    if (t.privileged !== undefined) l.privileged = bool(t.privileged, `${where}.privileged`);
    if (t['host-namespaces'] !== undefined) l.hostNamespaces = bool(t['host-namespaces'], `${where}.host-namespaces`);
    if (t.devices !== undefined) l.devices = bool(t.devices, `${where}.devices`);
    if (t.unconfined !== undefined) l.unconfined = bool(t.unconfined, `${where}.unconfined`);
    if (t['host-binds'] !== undefined) {
      const v = t['host-binds'];
      if (typeof v === 'boolean') l.hostBinds = v ? undefined : [];
      else {
        l.hostBinds = strings(v, `${where}.host-binds`);
        for (const p of l.hostBinds) if (!p.startsWith('/')) throw new PolicyError(`${where}.host-binds: "${p}" is not an absolute path`);
        l.hostBinds = l.hostBinds.map(normalise);
      }
    }
    if (t['cap-add'] !== undefined) {
      const v = t['cap-add'];
      l.capAdd = typeof v === 'boolean' ? (v ? ['ALL'] : []) : strings(v, `${where}.cap-add`).map(capName);
    }
    r.limits = l;
    return r;
  });
  return { rules };
}

/** Reads and checks a policy file; a PolicyError says what is wrong and where. */
export async function loadPolicy(file: string): Promise<Policy> {
  const { readFile } = await import('node:fs/promises');
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    throw new PolicyError(`cannot read policy ${file}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message}`);
  }
  return parsePolicy(text, file);
}

export async function parsePolicyText(text: string): Promise<Policy> {
  return parsePolicy(text, 'policy');
}

async function parsePolicy(text: string, file: string): Promise<Policy> {
  const { parse } = await import('smol-toml');
  let doc: Table;
  try {
    doc = parse(text) as Table;
  } catch (e) {
    throw new PolicyError(`policy ${file} is not valid TOML: ${(e as Error).message.split('\n')[0]}`);
  }
  try {
    return buildPolicy(doc);
  } catch (e) {
    if (e instanceof PolicyError) throw new PolicyError(`policy ${file}: ${e.message}`);
    throw e;
  }
}
