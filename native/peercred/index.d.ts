export interface PeerCred {
  pid: number;
  uid: number;
  gid: number;
}
/** The credentials of the peer of the connected unix socket `fd`; throws on a non-unix socket. */
export function peercred(fd: number): PeerCred;
/** Clears FD_CLOEXEC on `fd` (Node sets it on inherited descriptors): it survives execve. */
export function keepOnExec(fd: number): void;
