import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Ctx } from '../../server/http.js';
import { COMPAT_API_VERSION, LIBPOD_API_VERSION } from '../../version.js';

// Name, value, name, value: writeHead takes the flat list as it is, where an object is first
// walked key by key (measured: ~1% of a ping's instructions).
const HEADERS = [
  'API-Version', COMPAT_API_VERSION,
  'Libpod-API-Version', LIBPOD_API_VERSION,
  'Docker-Experimental', 'false',
  'Ostype', 'linux',
  'Builder-Version', '1',
  'Libpod-Buildah-Version', '',
  'Cache-Control', 'no-cache',
  'Pragma', 'no-cache',
  'Content-Type', 'text/plain; charset=utf-8',
  'Content-Length', '2',
];

const PING = /^(?:\/v\d+(?:\.\d+){0,2})?(?:\/libpod)?\/_ping\/?(?:\?.*)?$/;
export const isPing = (path: string) => PING.test(path);

/** The ping's headers after `first` (a flat name, value list: --cors's headers). */
export const pingHeaders = (first: string[]): string[] => (first.length ? [...first, ...HEADERS] : HEADERS);

/** `/_ping` for both layers: the docker CLI negotiates its API version from these headers. */
export function ping(req: IncomingMessage, res: ServerResponse, headers = HEADERS): void {
  res.writeHead(200, headers);
  res.end(req.method === 'HEAD' ? undefined : 'OK');
}

export const pingHandler = (ctx: Ctx) => ping(ctx.req, ctx.res);
