import type { ServerResponse } from 'node:http';

const METHODS = 'GET, POST, PUT, DELETE, HEAD, OPTIONS';
const HEADERS = 'Authorization, Content-Type, X-Registry-Auth, X-Registry-Config';

/** Headers added to every answer when --cors is set (never when it is empty). */
export function corsHeaders(origin: string): Record<string, string> {
  return {
    'Access-Control-Allow-Origin': origin,
    'Access-Control-Allow-Credentials': 'true',
  };
}

/** Browsers ask with OPTIONS before a cross-origin call: say which methods and headers may come. */
export function preflight(res: ServerResponse): void {
  res.writeHead(204, {
    'Access-Control-Allow-Methods': METHODS,
    'Access-Control-Allow-Headers': HEADERS,
    'Access-Control-Max-Age': '600',
  });
  res.end();
}
