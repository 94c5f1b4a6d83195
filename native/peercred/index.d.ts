export interface PeerCred {
  pid: number;
  uid: number;
  gid: number;
}
/** The credentials of the peer of the connected unix socket `fd`; throws on a non-unix socket. */
export function peercred(fd: number): PeerCred;
/** glibc's malloc_trim(0): hands the free pages of every malloc arena back to the kernel; true when some went back. */
export function mallocTrim(): boolean;
/** Clears FD_CLOEXEC on `fd` (Node sets it on inherited descriptors): it survives execve. */
export function keepOnExec(fd: number): void;
/**
 * posix_spawn of `file` (an absolute path) with `args`, exactly `env`, in `cwd`, leading a new
 * session, every signal at its default. `stdio[i]` is the child's fd i: "ignore" (/dev/null),
 * "read" (a pipe this process reads) or "write" (one it writes); `fds[i]` is this process's end
 * (-1 for "ignore"), close-on-exec. The child is reaped by a thread of the addon. Throws an Error
 * whose `code` is the errno name (ENOENT, EACCES...) when it cannot be run.
 */
export function spawnDetached(file: string, args: string[], env: string[], cwd: string, stdio: ('ignore' | 'read' | 'write')[]): { pid: number; fds: number[] };
