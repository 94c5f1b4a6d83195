import { badParameter } from '../errors.js';
import { clip } from '../../lib/clip.js';

// Kubernetes resource quantities (k8s.io/apimachinery's Quantity): a decimal number with a binary
// (Ki Mi Gi Ti Pi Ei) or decimal (n u m k M G T P E) suffix, or an exponent (1e3).
const SUFFIX: Record<string, number> = {
  Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40, Pi: 2 ** 50, Ei: 2 ** 60,
  n: 1e-9, u: 1e-6, m: 1e-3, '': 1, k: 1e3, M: 1e6, G: 1e9, T: 1e12, P: 1e15, E: 1e18,
};
const RE = /^([+-]?(?:\d+\.?\d*|\.\d+))(?:([eE][+-]?\d+)|(Ki|Mi|Gi|Ti|Pi|Ei|n|u|m|k|M|G|T|P|E)?)$/;

/** The quantity's value (bytes for memory, cores for cpu); a malformed one is a bad parameter naming `what`. */
export function parseQuantity(q: string | number, what: string): number {
  if (typeof q === 'number' && Number.isFinite(q)) return q;
  const m = typeof q === 'string' ? RE.exec(q.trim()) : null;
  if (!m) throw badParameter(`invalid quantity for ${what}: ${clip(String(q))}`);
  const base = Number(m[1]);
  return m[2] ? base * 10 ** Number(m[2].slice(1)) : base * SUFFIX[m[3] ?? ''];
}

/** Bytes as Kubernetes writes them: the largest binary suffix that divides them exactly. */
export function formatBytes(n: number): string {
  for (const s of ['Ei', 'Pi', 'Ti', 'Gi', 'Mi', 'Ki'] as const) if (n >= SUFFIX[s] && n % SUFFIX[s] === 0) return `${n / SUFFIX[s]}${s}`;
  return String(n);
}

/** Nano-CPUs as a cpu quantity: whole cores, else millicores (rounded up: never less than asked). */
export function formatNanoCpus(n: number): string {
  if (n % 1e9 === 0) return String(n / 1e9);
  return `${Math.ceil(n / 1e6)}m`;
}
