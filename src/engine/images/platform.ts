// Platforms: this host's, and the entry of a manifest list / OCI index that serves one. Pure.
import { hostArch } from './archives.js';
import type { Platform } from './types.js';

/** The variant docker assumes where a platform names none. */
function defaultVariant(arch: string): string | undefined {
  if (arch === 'arm64') return 'v8';
  if (arch === 'arm') return 'v7';
  return undefined;
}

export function hostPlatform(): Platform {
  const architecture = hostArch();
  return { os: 'linux', architecture, variant: defaultVariant(architecture) };
}

/** Fills what a request left out with this host's (an arch without a variant takes the arch's default). */
export function wantedPlatform(p: Partial<Platform> | undefined): Platform {
  const host = hostPlatform();
  const os = p?.os || host.os;
  const architecture = p?.architecture || host.architecture;
  const variant = p?.variant || (p?.architecture ? defaultVariant(architecture) : host.variant);
  return { os, architecture, variant };
}

export const platformText = (p: Platform) => [p.os, p.architecture, p.variant].filter(Boolean).join('/');

export interface IndexEntry {
  mediaType?: string;
  digest: string;
  size?: number;
  platform?: { os?: string; architecture?: string; variant?: string; 'os.version'?: string };
  annotations?: Record<string, string>;
}

/**
 * The index entry for `want`: same os and architecture; a variant that matches, else one with
 * no variant (an arm64 image without one serves v8). Attestations (unknown/unknown) never match.
 */
export function selectPlatform(entries: IndexEntry[], want: Platform): IndexEntry | undefined {
  const candidates = entries.filter((e) => e.platform && e.platform.os === want.os && e.platform.architecture === want.architecture);
  const same = (v: string | undefined) => (v || defaultVariant(want.architecture)) === want.variant;
  return candidates.find((e) => same(e.platform!.variant)) ?? (want.variant ? candidates.find((e) => !e.platform!.variant) : candidates[0]);
}
