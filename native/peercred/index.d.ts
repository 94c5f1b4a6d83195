export interface PeerCred {
  pid: number;
  uid: number;
  gid: number;
}
/** The credentials of the peer of the connected unix socket `fd`; throws on a non-unix socket. */
export function peercred(fd: number): PeerCred;
/** glibc's malloc_trim(0): hands the free pages of every malloc arena back to the kernel; true when some went back. */
export function mallocTrim(): boolean;
/**
 * Unmaps this process's resident pages of clean, read-only file mappings that hold no private
 * copy (the executable's and libraries' read-only data; their code too with `code`); the page
 * cache keeps them. KiB dropped.
 */
export function dropFilePages(code?: boolean): number;
/** Clears FD_CLOEXEC on `fd` (Node sets it on inherited descriptors): it survives execve. */
export function keepOnExec(fd: number): void;
