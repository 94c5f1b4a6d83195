// The per-request access hook: identifies the peer, applies the policy's method/path rules before
// the handler and its body rules when a handler passes a guarded request, and writes the audit
// line when the answer is complete. Built only with --policy or --audit-log: without them the
// server never loads this module and requests pay nothing.
import { performance } from 'node:perf_hooks';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { HttpError } from '../errors.js';
import { isUpgraded, type AccessHook } from '../http.js';
import { auditedRequest, type AuditEntry, type AuditSink } from './audit.js';
import { peerOf, type Peer } from './peer.js';
import { checkBody, decide, ruleLabel, type Policy, type Rule } from './policy.js';
import { fromContainerCreate, inherited, type GuardedRequest } from './request.js';
import type { ContainerView } from '../../engine/containers/types.js';

/** A container's settings by ID or name, for what requests take from other containers. */
export type ContainerLookup = (ref: string) => ContainerView | undefined;

export class AccessControl {
  constructor(private policy: Policy | undefined, private readonly audit: AuditSink | undefined) {}

  /** A reloaded policy (SIGHUP) applies to requests from now on. */
  setPolicy(p: Policy): void {
    this.policy = p;
  }

  /**
   * Starts a request: its access record, or a 403 HttpError when the policy refuses the method
   * and path (the denial is audited once the error answer is out).
   */
  begin(req: IncomingMessage, res: ServerResponse, layer: string, path: string, params: Record<string, string> | undefined, lookup: ContainerLookup): RequestAccess {
    const a = new RequestAccess(peerOf(req.socket), null, lookup);
    if (this.audit) {
      const audit = this.audit;
      const t0 = performance.now();
      // A hijacked stream (attach, exec start) wrote its own 101 past the response object.
      res.once('close', () => audit.write(a.entry(req.method ?? 'GET', path, layer, params, isUpgraded(req) && res.statusCode === 200 ? 101 : res.statusCode, performance.now() - t0)));
    }
    if (this.policy) {
      const v = decide(this.policy, a.peer, req.method ?? 'GET', path);
      if (!v.allowed) a.deny(v.reason, v.rule);
      a.rule = v.rule ?? null;
    }
    return a;
  }

  close(): void {
    this.audit?.close();
  }
}

export class RequestAccess implements AccessHook {
  private guarded?: GuardedRequest;
  private ids?: Set<string>;
  private denied?: { rule?: string; reason: string };

  /** The rule that allowed the request; null without a policy. */
  constructor(readonly peer: Peer, public rule: Rule | null | undefined, private readonly lookup: ContainerLookup) {}

  deny(reason: string, rule?: Rule): never {
    this.denied = { ...(rule ? { rule: ruleLabel(rule) } : {}), reason };
    throw new HttpError(403, reason, 'access denied');
  }

  guard(g: GuardedRequest): void {
    this.guarded = g;
    if (!this.rule) return;
    for (const p of g.parts?.length ? g.parts : [{ g, label: undefined }]) this.judge(this.rule, p.g, p.label);
  }

  private judge(rule: Rule, g: GuardedRequest, label?: string): void {
    const why = checkBody(rule, g, label);
    if (why) this.deny(why, rule);
    if (!g.takesFrom) return;
    const settings = (ref: string) => {
      const v = this.lookup(ref);
      return v && fromContainerCreate({ config: v.parsed.Config, hostConfig: v.parsed.HostConfig, flavor: v.parsed.flavor });
    };
    for (const x of inherited(g, settings)) {
      const w = checkBody(rule, x.g, x.label);
      if (w) this.deny(w, rule);
    }
  }

  touched(id: string): void {
    (this.ids ??= new Set()).add(id);
  }

  entry(method: string, path: string, layer: string, params: Record<string, string> | undefined, status: number, ms: number): AuditEntry {
    const ids = new Set(Object.values(params ?? {}));
    for (const id of this.ids ?? []) ids.add(id);
    const e: AuditEntry = { time: new Date(Date.now() - ms).toISOString(), peer: this.peer, method, path, layer, status, ms: Math.round(ms * 100) / 100 };
    if (ids.size) e.ids = [...ids];
    if (this.guarded) e.request = auditedRequest(this.guarded);
    if (this.denied) e.denied = this.denied;
    return e;
  }
}
