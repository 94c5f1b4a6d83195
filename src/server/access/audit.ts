// The audit log (--audit-log FILE, or - for stderr): one JSON line per API call, written when the
// answer is complete. It names who asked, what, which objects, how it ended; for the requests that
// can hand out the host, what they asked for. It never holds a header (X-Registry-Auth carries
// credentials), a query (build args), a body, or an environment value: only variable names.
import { closeSync, fstatSync, openSync, renameSync, writeSync } from 'node:fs';
import type { GuardedRequest } from './request.js';
import type { Peer } from './peer.js';

export interface AuditEntry {
  time: string;
  peer: Peer;
  method: string;
  path: string;
  layer: string;
  ids?: string[];
  status: number;
  ms: number;
  request?: AuditedRequest;
  denied?: { rule?: string; reason: string };
}

/** What the log keeps of a guarded request: everything the body rules judge, env names only. */
export type AuditedRequest = Omit<GuardedRequest, 'envNames' | 'takesFrom' | 'parts'> & { envNames?: string[] };

export function auditedRequest(g: GuardedRequest): AuditedRequest {
  const { envNames, takesFrom: _t, parts: _p, ...rest } = g;
  const out: AuditedRequest = { ...rest };
  for (const k of ['hostPaths', 'capAdd', 'devices', 'securityOpt'] as const) if (!out[k].length) delete (out as Partial<AuditedRequest>)[k];
  if (!Object.keys(out.namespaces).length) delete (out as Partial<AuditedRequest>).namespaces;
  // Names only: `-e TOKEN=...` is logged as TOKEN.
  if (envNames.length) out.envNames = envNames.map((n) => n.split('=', 1)[0]);
  return out;
}

export interface AuditSink {
  write(e: AuditEntry): void;
  close(): void;
}

const KEEP = 5;

/**
 * Appends lines to `file`, rotating at `maxBytes` to file.1 … file.5 (oldest dropped). Writes
 * are synchronous: a line is on disk before the next request is answered, and lines never
 * interleave. The file is created 0600: it names peers and paths.
 */
export class FileAudit implements AuditSink {
  private fd: number;
  private size: number;
  private closed = false;

  constructor(private readonly file: string, private readonly maxBytes: number) {
    this.fd = openSync(file, 'a', 0o600);
    this.size = fstatSync(this.fd).size;
  }

  write(e: AuditEntry): void {
    // Requests cut off at shutdown end after the log closed.
    if (this.closed) return;
    const line = `${JSON.stringify(e)}\n`;
    const n = Buffer.byteLength(line);
    if (this.maxBytes > 0 && this.size > 0 && this.size + n > this.maxBytes) this.rotate();
    writeSync(this.fd, line);
    this.size += n;
  }

  private rotate(): void {
    closeSync(this.fd);
    for (let i = KEEP - 1; i >= 1; i--) {
      try {
        renameSync(`${this.file}.${i}`, `${this.file}.${i + 1}`);
      } catch {
        // Not there yet.
      }
    }
    renameSync(this.file, `${this.file}.1`);
    this.fd = openSync(this.file, 'a', 0o600);
    this.size = 0;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    closeSync(this.fd);
  }
}

export class StderrAudit implements AuditSink {
  write(e: AuditEntry): void {
    process.stderr.write(`${JSON.stringify(e)}\n`);
  }
  close(): void {}
}
