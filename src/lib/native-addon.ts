// berth's own N-API addons (native/peercred, native/mount; built by scripts/setup.sh): one loader,
// each required once, a failed load remembered. node:module is taken when first asked, not at
// import: some callers sit in the bundle's pre-listen part.
export type AddonName = 'berth-peercred' | 'berth-mount';

const loaded = new Map<AddonName, { addon: unknown } | { error: Error }>();

/** The addon; throws require's error where it is not built. */
export function nativeAddon<T>(name: AddonName): T {
  let r = loaded.get(name);
  if (!r) {
    try {
      const { createRequire } = process.getBuiltinModule('node:module') as typeof import('node:module');
      r = { addon: createRequire(import.meta.url)(name) };
    } catch (e) {
      r = { error: e as Error };
    }
    loaded.set(name, r);
  }
  if ('error' in r) throw r.error;
  return r.addon as T;
}

/** The addon, or null where it is not built (the caller then does without it). */
export function optionalAddon<T>(name: AddonName): T | null {
  try {
    return nativeAddon<T>(name);
  } catch {
    return null;
  }
}
