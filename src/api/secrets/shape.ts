// podman's secret reports for both layers (SecretInfoReport, and the compat one with a Version).
// The data is shown only when asked for by libpod's showsecret.
import type { SecretView } from '../../engine/secrets/types.js';
import { HttpError } from '../../server/errors.js';

export function secretReport(s: SecretView, data?: Buffer) {
  return {
    ID: s.id,
    CreatedAt: s.createdAt,
    UpdatedAt: s.updatedAt,
    Spec: { Name: s.name, Driver: { Name: s.driver, Options: s.driverOptions }, Labels: s.labels },
    ...(data ? { SecretData: data.toString('utf8') } : {}),
  };
}

export function compatSecretReport(s: SecretView) {
  return { ...secretReport(s), Version: { Index: 1 } };
}

/** A query map as podman's bindings send it: JSON (`{"k":"v"}`), or `k=v` pairs separated by commas. */
export function queryMap(raw: string | null, what: string): Record<string, string> {
  if (!raw) return {};
  const t = raw.trim();
  if (t.startsWith('{') || t === 'null') {
    let v: unknown;
    try {
      v = JSON.parse(t);
    } catch {
      throw new HttpError(400, `invalid ${what}: not a JSON object of strings`);
    }
    if (v === null) return {};
    if (typeof v !== 'object' || Array.isArray(v) || Object.values(v as object).some((x) => typeof x !== 'string')) throw new HttpError(400, `invalid ${what}: not a JSON object of strings`);
    return v as Record<string, string>;
  }
  const out: Record<string, string> = {};
  for (const kv of t.split(',').filter(Boolean)) {
    const i = kv.indexOf('=');
    out[i < 0 ? kv : kv.slice(0, i)] = i < 0 ? '' : kv.slice(i + 1);
  }
  return out;
}
