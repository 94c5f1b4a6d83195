/**
 * mount(2) on a libuv pool thread. `cwd`: the directory relative paths in `data` (overlay's
 * short lowerdir links) resolve from, set on a thread of its own so the process keeps its own.
 * Rejects with an Error whose `code` is the errno name (EINVAL, ENOENT...).
 */
export function mount(source: string, target: string, fstype: string, flags: number, data: string, cwd?: string | null): Promise<void>;
/** umount2(2) on a libuv pool thread; flags 2 = MNT_DETACH. */
export function umount(target: string, flags: number): Promise<void>;
