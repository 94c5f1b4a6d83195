import { readFileSync } from 'node:fs';

/** Docker's default set: the compat layer uses it (NET_RAW kept, so busybox ping works). */
export const DOCKER_DEFAULT_CAPS = [
  'CAP_CHOWN', 'CAP_DAC_OVERRIDE', 'CAP_FSETID', 'CAP_FOWNER', 'CAP_MKNOD', 'CAP_NET_RAW',
  'CAP_SETGID', 'CAP_SETUID', 'CAP_SETFCAP', 'CAP_SETPCAP', 'CAP_NET_BIND_SERVICE',
  'CAP_SYS_CHROOT', 'CAP_KILL', 'CAP_AUDIT_WRITE',
];

/** containers.conf's default set: the libpod layer uses it, as podman does. */
export const PODMAN_DEFAULT_CAPS = [
  'CAP_CHOWN', 'CAP_DAC_OVERRIDE', 'CAP_FOWNER', 'CAP_FSETID', 'CAP_KILL', 'CAP_NET_BIND_SERVICE',
  'CAP_SETFCAP', 'CAP_SETGID', 'CAP_SETPCAP', 'CAP_SETUID', 'CAP_SYS_CHROOT',
];

export const ALL_CAPS = [
  'CAP_CHOWN', 'CAP_DAC_OVERRIDE', 'CAP_DAC_READ_SEARCH', 'CAP_FOWNER', 'CAP_FSETID', 'CAP_KILL',
  'CAP_SETGID', 'CAP_SETUID', 'CAP_SETPCAP', 'CAP_LINUX_IMMUTABLE', 'CAP_NET_BIND_SERVICE',
  'CAP_NET_BROADCAST', 'CAP_NET_ADMIN', 'CAP_NET_RAW', 'CAP_IPC_LOCK', 'CAP_IPC_OWNER',
  'CAP_SYS_MODULE', 'CAP_SYS_RAWIO', 'CAP_SYS_CHROOT', 'CAP_SYS_PTRACE', 'CAP_SYS_PACCT',
  'CAP_SYS_ADMIN', 'CAP_SYS_BOOT', 'CAP_SYS_NICE', 'CAP_SYS_RESOURCE', 'CAP_SYS_TIME',
  'CAP_SYS_TTY_CONFIG', 'CAP_MKNOD', 'CAP_LEASE', 'CAP_AUDIT_WRITE', 'CAP_AUDIT_CONTROL',
  'CAP_SETFCAP', 'CAP_MAC_OVERRIDE', 'CAP_MAC_ADMIN', 'CAP_SYSLOG', 'CAP_WAKE_ALARM',
  'CAP_BLOCK_SUSPEND', 'CAP_AUDIT_READ', 'CAP_PERFMON', 'CAP_BPF', 'CAP_CHECKPOINT_RESTORE',
];

export function normalizeCap(c: string): string {
  const u = c.trim().toUpperCase();
  return u.startsWith('CAP_') ? u : `CAP_${u}`;
}

/**
 * Applies --cap-add/--cap-drop the way docker does: ALL in drop empties the base, ALL in add
 * grants everything; unknown names are the caller's error.
 */
export function resolveCaps(base: string[], add: string[] = [], drop: string[] = []): string[] {
  const known = new Set(ALL_CAPS);
  for (const c of [...add, ...drop]) {
    const n = normalizeCap(c);
    if (n !== 'CAP_ALL' && !known.has(n)) throw new Error(`unknown capability: "${c}"`);
  }
  const adds = add.map(normalizeCap);
  const drops = drop.map(normalizeCap);
  let set = new Set(adds.includes('CAP_ALL') ? ALL_CAPS : base);
  if (drops.includes('CAP_ALL')) set = new Set();
  for (const c of drops) set.delete(c);
  for (const c of adds) if (c !== 'CAP_ALL') set.add(c);
  return ALL_CAPS.filter((c) => set.has(c));
}

/** Capabilities in this process's bounding set: a privileged container cannot get more. */
export function boundingCaps(): string[] {
  try {
    const hex = /CapBnd:\s*([0-9a-f]+)/.exec(readFileSync('/proc/self/status', 'utf8'))?.[1];
    if (!hex) return ALL_CAPS;
    const mask = BigInt('0x' + hex);
    return ALL_CAPS.filter((c) => {
      const bit = CAP_BITS[c];
      return bit !== undefined && (mask & (1n << BigInt(bit))) !== 0n;
    });
  } catch {
    return ALL_CAPS;
  }
}

// Kernel capability numbers (linux/capability.h), in ALL_CAPS order.
const CAP_BITS: Record<string, number> = Object.fromEntries(
  [
    'CAP_CHOWN', 'CAP_DAC_OVERRIDE', 'CAP_DAC_READ_SEARCH', 'CAP_FOWNER', 'CAP_FSETID', 'CAP_KILL', 'CAP_SETGID',
    'CAP_SETUID', 'CAP_SETPCAP', 'CAP_LINUX_IMMUTABLE', 'CAP_NET_BIND_SERVICE', 'CAP_NET_BROADCAST', 'CAP_NET_ADMIN',
    'CAP_NET_RAW', 'CAP_IPC_LOCK', 'CAP_IPC_OWNER', 'CAP_SYS_MODULE', 'CAP_SYS_RAWIO', 'CAP_SYS_CHROOT',
    'CAP_SYS_PTRACE', 'CAP_SYS_PACCT', 'CAP_SYS_ADMIN', 'CAP_SYS_BOOT', 'CAP_SYS_NICE', 'CAP_SYS_RESOURCE',
    'CAP_SYS_TIME', 'CAP_SYS_TTY_CONFIG', 'CAP_MKNOD', 'CAP_LEASE', 'CAP_AUDIT_WRITE', 'CAP_AUDIT_CONTROL',
    'CAP_SETFCAP', 'CAP_MAC_OVERRIDE', 'CAP_MAC_ADMIN', 'CAP_SYSLOG', 'CAP_WAKE_ALARM', 'CAP_BLOCK_SUSPEND',
    'CAP_AUDIT_READ', 'CAP_PERFMON', 'CAP_BPF', 'CAP_CHECKPOINT_RESTORE',
  ].map((c, i) => [c, i]),
);
