// What can go wrong talking to a registry, with the registry's own words kept: the engine maps
// `kind` to its typed errors and the API layers word them as dockerd or podman do.

export type RegistryErrorKind =
  /** 401: no or wrong credentials. */
  | 'unauthorized'
  /** 403 or DENIED: the credentials may not do this. */
  | 'denied'
  /** 404 / MANIFEST_UNKNOWN / NAME_UNKNOWN / BLOB_UNKNOWN. */
  | 'not-found'
  /** Refused, reset, DNS, TLS: never got an answer. */
  | 'unreachable'
  /** No answer (or no more data) within the timeout. */
  | 'timeout'
  /** An answer that breaks the protocol: bad JSON, wrong digest, schema 1, 5xx... */
  | 'protocol';

export interface RegistryErrorDetail {
  code: string;
  message: string;
  detail?: unknown;
}

export class RegistryError extends Error {
  constructor(
    readonly kind: RegistryErrorKind,
    message: string,
    readonly status?: number,
    /** The `errors` array of the registry's answer (OCI distribution error codes). */
    readonly errors: RegistryErrorDetail[] = [],
  ) {
    super(message);
    this.name = 'RegistryError';
  }

  /** The first error code the registry gave ("MANIFEST_UNKNOWN"...), if any. */
  get code(): string | undefined {
    return this.errors[0]?.code;
  }

  /** docker's rendering of the registry's first error: "manifest unknown: manifest unknown". */
  get registryText(): string | undefined {
    const e = this.errors[0];
    if (!e) return undefined;
    return `${e.code.toLowerCase().replace(/_/g, ' ')}: ${e.message || e.code.toLowerCase().replace(/_/g, ' ')}`;
  }
}

/** Builds the error for a non-2xx answer from its status and (JSON) body. */
export function errorFromResponse(status: number, body: string, what: string): RegistryError {
  let errors: RegistryErrorDetail[] = [];
  try {
    const j = JSON.parse(body) as { errors?: RegistryErrorDetail[]; details?: string; error?: string };
    if (Array.isArray(j.errors)) errors = j.errors.filter((e) => e && typeof e.code === 'string').map((e) => ({ code: e.code, message: String(e.message ?? ''), detail: e.detail }));
    // Token servers answer {"details": "..."} or {"error": "..."}.
    else if (typeof j.details === 'string') errors = [{ code: status === 401 ? 'UNAUTHORIZED' : 'UNKNOWN', message: j.details }];
    else if (typeof j.error === 'string') errors = [{ code: status === 401 ? 'UNAUTHORIZED' : 'UNKNOWN', message: j.error }];
  } catch {
    // Not JSON: the status says it all.
  }
  const code = errors[0]?.code;
  const kind =
    status === 401 || code === 'UNAUTHORIZED'
      ? 'unauthorized'
      : status === 403 || code === 'DENIED'
        ? 'denied'
        : status === 404 || code === 'MANIFEST_UNKNOWN' || code === 'NAME_UNKNOWN' || code === 'BLOB_UNKNOWN'
          ? 'not-found'
          : 'protocol';
  const text = errors.length
    ? errors.map((e) => `${e.code.toLowerCase().replace(/_/g, ' ')}: ${e.message}`).join('; ')
    : `${status} ${statusText(status)}${body.trim() && body.length < 200 && !body.includes('<') ? `: ${body.trim()}` : ''}`;
  return new RegistryError(kind, `${what}: ${text}`, status, errors);
}

function statusText(status: number): string {
  const t: Record<number, string> = { 400: 'Bad Request', 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found', 405: 'Method Not Allowed', 429: 'Too Many Requests', 500: 'Internal Server Error', 502: 'Bad Gateway', 503: 'Service Unavailable' };
  return t[status] ?? 'error';
}
