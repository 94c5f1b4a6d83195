// Who is at the other end of a request's connection: the kernel's word for a unix socket
// (SO_PEERCRED), the verified client certificate for TLS, only an address for plain tcp.
import { nativeAddon } from '../../lib/native-addon.js';
import type { Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';

export type Peer =
  | { transport: 'unix'; uid: number; gid: number; pid: number }
  | { transport: 'tls'; subject: Record<string, string>; address?: string }
  | { transport: 'tcp'; address?: string }
  /** A unix peer whose credentials could not be read (never matches a uid or gid rule). */
  | { transport: 'unknown' };

const PEER = Symbol('berth.peer');
type Marked = Socket & { [PEER]?: Peer };

let addon: { peercred(fd: number): { pid: number; uid: number; gid: number } } | undefined;
/**
 * Loads the addon (native/peercred); servers without a policy or audit log never do. Called at
 * start, so a missing build is a clear error rather than every unix peer being unknown.
 */
export function loadPeercred(): void {
  try {
    addon ??= nativeAddon<NonNullable<typeof addon>>('berth-peercred');
  } catch (e) {
    throw new Error(`the SO_PEERCRED addon (native/peercred) is not built: run \`npm run setup\` (${(e as Error).message.split('\n')[0]})`);
  }
}
function peercred(fd: number) {
  loadPeercred();
  return addon!.peercred(fd);
}

/** The peer of the connection `socket`, read once per connection (credentials are those of connect()). */
export function peerOf(socket: Socket): Peer {
  const m = socket as Marked;
  return (m[PEER] ??= readPeer(socket));
}

function readPeer(socket: Socket): Peer {
  if ((socket as TLSSocket).encrypted) {
    const t = socket as TLSSocket;
    // Only a verified certificate names anyone (with --tls-verify no other gets this far).
    const cert = t.authorized ? t.getPeerCertificate() : undefined;
    const subject: Record<string, string> = {};
    for (const [k, v] of Object.entries(cert?.subject ?? {})) subject[k] = Array.isArray(v) ? v.join('+') : String(v);
    return { transport: 'tls', subject, address: t.remoteAddress };
  }
  if (socket.remoteAddress !== undefined) return { transport: 'tcp', address: socket.remoteAddress };
  const fd = (socket as unknown as { _handle?: { fd?: number } })._handle?.fd;
  if (typeof fd !== 'number' || fd < 0) return { transport: 'unknown' };
  try {
    const c = peercred(fd);
    return { transport: 'unix', uid: c.uid, gid: c.gid, pid: c.pid };
  } catch {
    return { transport: 'unknown' };
  }
}

/** RFC 4514-like text of a certificate subject, for messages and the audit log. */
export function subjectText(s: Record<string, string>): string {
  return Object.entries(s).map(([k, v]) => `${k}=${v}`).join(',');
}

/** The peer as the audit log and denial messages name it. */
export function describePeer(p: Peer): string {
  switch (p.transport) {
    case 'unix':
      return `uid ${p.uid} gid ${p.gid} pid ${p.pid}`;
    case 'tls':
      return Object.keys(p.subject).length ? `certificate ${subjectText(p.subject)}` : 'tls peer without a verified certificate';
    case 'tcp':
      return `tcp ${p.address ?? '?'}`;
    default:
      return 'unknown peer';
  }
}
