// The API version a client asks for in a versioned path (/v4.3.1/libpod/...), as one number so
// answers can be shaped for the client's wire format: podman changed some field types at 5.0.

/** A path's API version as major + minor/100 (5.5 is 5.05; unversioned paths: the newest). */
export function apiLevel(version: string | undefined): number {
  if (!version) return Infinity;
  const [major = 0, minor = 0] = version.split('.').map(Number);
  return major + Math.min(minor, 99) / 100;
}
