import type { IncomingMessage, ServerResponse } from 'node:http';
import { clip } from '../lib/clip.js';
import type { Socket } from 'node:net';
import type { EnginePorts } from '../engine/ports.js';
import { HttpError, type Layer } from './errors.js';
import type { Logger } from './log.js';
import { parseJson } from './json-parse.js';
import type { GuardedRequest } from './access/request.js';

/**
 * The access hook of a request (only with --policy or --audit-log). Handlers of requests that can
 * hand out the host pass what they were asked (access/request.ts builds it) to `guard`, which
 * throws a 403 when the policy forbids it, and name the objects they create with `touched`.
 */
export interface AccessHook {
  guard(g: GuardedRequest): void;
  touched(id: string): void;
}

/** What every handler receives: the parsed request and the one engine both layers share. */
export interface Ctx {
  req: IncomingMessage;
  res: ServerResponse;
  layer: Layer;
  /** API version from the path (`/v1.41/...`), undefined when unversioned. Never rejected. */
  version: string | undefined;
  params: Record<string, string>;
  query: URLSearchParams;
  engine: EnginePorts;
  log: Logger;
  access?: AccessHook;
}

export type Handler = (ctx: Ctx) => unknown | Promise<unknown>;
export type Method = 'GET' | 'HEAD' | 'POST' | 'PUT' | 'DELETE';
export interface RouteDef {
  method: Method | Method[];
  /** find-my-way pattern without version prefix, e.g. `/containers/:id/json` or `/libpod/_ping`. */
  path: string;
  handler: Handler;
}

const JSON_LIMIT = 16 * 1024 * 1024;

export function sendJson(ctx: Ctx, status: number, body: unknown): void {
  sendJsonText(ctx, status, body === undefined ? '' : JSON.stringify(body));
}

/** JSON already written, as text or UTF-8 bytes (lists put theirs together from kept parts). */
export function sendJsonText(ctx: Ctx, status: number, data: string | Buffer): void {
  ctx.res.writeHead(status, {
    'Content-Type': 'application/json',
    'Content-Length': Buffer.byteLength(data),
  });
  ctx.res.end(data);
}

export function sendText(ctx: Ctx, status: number, text: string, type = 'text/plain; charset=utf-8'): void {
  ctx.res.writeHead(status, { 'Content-Type': type, 'Content-Length': Buffer.byteLength(text) });
  ctx.res.end(ctx.req.method === 'HEAD' ? undefined : text);
}

export function noContent(ctx: Ctx, status = 204): void {
  ctx.res.writeHead(status);
  ctx.res.end();
}

/** The request body as parsed JSON; undefined when there is none (docker CLI often sends none). */
export async function readJson<T = unknown>(ctx: Ctx, limit = JSON_LIMIT): Promise<T | undefined> {
  return parseJsonBody<T>(await readText(ctx, limit));
}

/** The request body as text, trimmed; '' when there is none. */
export async function readText(ctx: Ctx, limit = JSON_LIMIT): Promise<string> {
  const declared = Number(ctx.req.headers['content-length'] ?? NaN);
  if (declared > limit) throw new HttpError(413, `request body too large: ${declared} bytes (limit ${limit})`);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of ctx.req as AsyncIterable<Buffer>) {
    size += c.length;
    if (size > limit) throw new HttpError(413, `request body too large (limit ${limit} bytes)`);
    chunks.push(c);
  }
  return Buffer.concat(chunks).toString('utf8').trim();
}

/** A request body's text as JSON: undefined when blank, a 400 when malformed or nested too deep. */
export function parseJsonBody<T>(text: string): T | undefined {
  const t = text.trim();
  return t ? (parseJson(t) as T) : undefined;
}

export function qBool(ctx: Ctx, name: string, def = false): boolean {
  const v = ctx.query.get(name);
  if (v === null || v === '') return def;
  const b = parseBool(v);
  if (b === undefined) throw new HttpError(400, `invalid boolean value "${clip(v, 64)}" for query parameter "${name}"`);
  return b;
}

/**
 * Go's strconv.ParseBool words (1 t true 0 f false, in any case), and dockerd's yes and no; the
 * rest is a 400 (dockerd's BoolValue would take "maybe" as true, podman refuses it).
 */
export function parseBool(v: string): boolean | undefined {
  switch (v.toLowerCase()) {
    case '1':
    case 't':
    case 'true':
    case 'yes':
      return true;
    case '0':
    case 'f':
    case 'false':
    case 'no':
      return false;
  }
  return undefined;
}

/** The range a numeric query parameter may take; beyond it the request is a 400. */
export interface IntRange {
  min?: number;
  max?: number;
}

/**
 * An integer parameter as Go's strconv.Atoi reads it: an optional sign and decimal digits, nothing
 * else ("0x10", "1e3", "5.0" and " 5" are 400), within `range` (by default any exact integer).
 */
export function qInt(ctx: Ctx, name: string, def?: number, range: IntRange = {}): number | undefined {
  const v = ctx.query.get(name);
  if (v === null || v === '') return def;
  if (!/^[+-]?\d+$/.test(v)) throw new HttpError(400, `invalid integer value "${clip(v, 64)}" for query parameter "${name}"`);
  const n = Number(v);
  const { min = -Number.MAX_SAFE_INTEGER, max = Number.MAX_SAFE_INTEGER } = range;
  if (!Number.isSafeInteger(n) || n < min || n > max) {
    const bounds = range.max === undefined ? `at least ${min}` : range.min === undefined ? `at most ${max}` : `from ${min} to ${max}`;
    throw new HttpError(400, `value ${clip(v, 64)} for query parameter "${name}" is out of range (${range.min === undefined && range.max === undefined ? 'not an exact integer' : bounds})`);
  }
  return n;
}

/** A list parameter, repeated (`?a=x&a=y`) or comma-separated (`?a=x,y`): clients send both. */
export function qList(ctx: Ctx, name: string): string[] {
  return ctx.query.getAll(name).flatMap((v) => v.split(',')).filter(Boolean);
}

/** Docker's `filters` parameter: `{"k":["v"]}`, or the legacy `{"k":{"v":true}}` form. */
export function qFilters(ctx: Ctx, name = 'filters'): Record<string, string[]> {
  const raw = ctx.query.get(name);
  if (!raw) return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    throw new HttpError(400, `invalid filters: ${raw} is not JSON`);
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new HttpError(400, 'invalid filters: expected an object of lists');
  }
  const out: Record<string, string[]> = {};
  for (const [k, v] of Object.entries(parsed)) {
    if (Array.isArray(v)) out[k] = v.map(String);
    else if (v && typeof v === 'object') out[k] = Object.entries(v).filter(([, on]) => on).map(([s]) => s);
    else throw new HttpError(400, `invalid filters: value of "${k}" must be a list`);
  }
  return out;
}

/**
 * Takes over the connection for a raw stream (attach, exec start). Answers 101 when the client
 * asked to upgrade (the server then hands us the socket with HTTP parsing detached), else a plain
 * 200 on which only output can flow, as dockerd does. The idle tracker counts the request as
 * active until the socket closes.
 */
export function hijack(ctx: Ctx, contentType = 'application/vnd.docker.raw-stream'): Socket {
  const socket = ctx.req.socket;
  const upgraded = isUpgraded(ctx.req);
  const head = upgraded
    ? `HTTP/1.1 101 UPGRADED\r\nContent-Type: ${contentType}\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n\r\n`
    : `HTTP/1.1 200 OK\r\nContent-Type: ${contentType}\r\nConnection: close\r\n\r\n`;
  socket.setTimeout(0);
  socket.setNoDelay(true);
  // ServerResponse must never write its own headers after ours.
  (ctx.res as unknown as { _header: string })._header = head;
  socket.write(head);
  return socket;
}

const UPGRADED = Symbol('berth.upgraded');
export function markUpgraded(req: IncomingMessage): void {
  (req as IncomingMessage & { [UPGRADED]?: boolean })[UPGRADED] = true;
}
export function isUpgraded(req: IncomingMessage): boolean {
  return (req as IncomingMessage & { [UPGRADED]?: boolean })[UPGRADED] === true;
}

/** Starts a chunked streaming response (events, logs follow, stats): headers go out at once. */
export function startStream(ctx: Ctx, contentType = 'application/json'): ServerResponse {
  ctx.res.writeHead(200, { 'Content-Type': contentType, 'Transfer-Encoding': 'chunked' });
  ctx.res.flushHeaders();
  ctx.req.socket.setNoDelay(true);
  return ctx.res;
}

export type { IncomingMessage, ServerResponse };
