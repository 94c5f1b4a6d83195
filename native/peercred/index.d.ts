export interface PeerCred {
  pid: number;
  uid: number;
  gid: number;
}
/** The credentials of the peer of the connected unix socket `fd`; throws on a non-unix socket. */
export function peercred(fd: number): PeerCred;
