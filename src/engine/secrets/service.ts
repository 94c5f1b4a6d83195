// The secret store: records in the state DB, data through the file driver. The API layers reach
// it through SecretsPort; containers through SecretSource (their create copies the data, so a
// later replace or removal leaves running containers as they were, as in podman). The data never
// goes into an event, a view, an error message or a log line.
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import type { Database } from 'better-sqlite3';
import type { StoragePaths } from '../../config/paths.js';
import { clip } from '../../lib/clip.js';
import { SecretStore, type SecretRow } from '../../state/secrets.js';
import { badParameter, conflict, internal, notFound } from '../errors.js';
import type { EventBus } from '../events.js';
import { FILE_DRIVER, FileDriver } from './file-driver.js';
import { secretFilter } from './filters.js';
import type { SecretsPort } from './port.js';
import type { SecretCreateRequest, SecretView } from './types.js';

export interface SecretServiceDeps {
  db: Database;
  paths: StoragePaths;
  events: EventBus;
}

/** podman's limits: a name as for containers (at most 253 characters), data up to 512000 bytes. */
const NAME_RE = /^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/;
const NAME_MAX = 253;
export const DATA_MAX = 512_000;

/** How containers reach secrets: by name or ID, with the data, at create. */
export interface SecretSource {
  resolveData(ref: string): { id: string; name: string; data: Buffer };
}

const noSuchSecret = (ref: string) => notFound(`no secret with name or id "${clip(ref)}": no such secret`);

function checkStrings(o: unknown, what: string): Record<string, string> {
  if (o == null) return {};
  if (typeof o !== 'object' || Array.isArray(o)) throw badParameter(`${what} must be an object of strings`);
  for (const [k, v] of Object.entries(o)) if (typeof v !== 'string') throw badParameter(`${what}: the value of "${clip(k)}" must be a string`);
  return o as Record<string, string>;
}

export class SecretService implements SecretsPort, SecretSource {
  private readonly store: SecretStore;
  private readonly driver: FileDriver;

  constructor(private readonly deps: SecretServiceDeps) {
    this.store = new SecretStore(deps.db);
    this.driver = new FileDriver(join(deps.paths.root, 'secrets', 'filedriver'));
  }

  private view(r: SecretRow): SecretView {
    return { id: r.id, name: r.name, driver: r.driver, driverOptions: r.driverOptions, labels: r.labels, createdAt: r.created, updatedAt: r.updated };
  }

  private row(ref: string): SecretRow | undefined {
    if (typeof ref !== 'string' || !ref) return undefined;
    const byName = this.store.byName(ref);
    if (byName) return byName;
    if (!/^[0-9a-f]+$/.test(ref)) return undefined;
    const m = this.store.byIdPrefix(ref);
    if (m.length > 1) throw conflict(`more than one secret matches "${clip(ref)}": give more of its ID`);
    return m[0];
  }

  create(req: SecretCreateRequest): SecretView {
    const { name } = req;
    if (typeof name !== 'string' || !name) throw badParameter('a secret needs a name');
    if (name.length > NAME_MAX) throw badParameter(`secret name "${clip(name)}" is longer than ${NAME_MAX} characters`);
    if (!NAME_RE.test(name)) throw badParameter(`invalid secret name "${clip(name)}": only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed`);
    const driver = req.driver || FILE_DRIVER;
    if (driver !== FILE_DRIVER) throw badParameter(`secret driver "${clip(driver)}" is not available: berth has the "file" driver only`);
    const driverOptions = checkStrings(req.driverOptions, 'driver options');
    // podman's file driver knows only where to keep its files; berth keeps them under its storage root.
    const opt = Object.keys(driverOptions)[0];
    if (opt !== undefined) throw badParameter(`secret driver "file" takes no option "${clip(opt)}": its files are kept under berth's storage root`);
    const labels = checkStrings(req.labels, 'labels');
    if (!Buffer.isBuffer(req.data) || req.data.length === 0 || req.data.length >= DATA_MAX) {
      throw badParameter(`secret data must be larger than 0 and less than ${DATA_MAX} bytes`);
    }
    const now = new Date().toISOString();
    const { row, replaced } = this.store.tx(() => {
      const old = this.store.byName(name);
      if (old && !req.replace) throw conflict(`${clip(name)}: secret name in use`);
      if (old) {
        this.store.replace(old.id, { driverOptions, labels, updated: now });
        return { row: { ...old, driverOptions, labels, updated: now }, replaced: true };
      }
      const r: SecretRow = { id: randomBytes(13).toString('hex').slice(0, 25), name, driver, driverOptions, labels, created: now, updated: now };
      this.store.insert(r);
      return { row: r, replaced: false };
    });
    try {
      this.driver.store(row.id, req.data);
    } catch (e) {
      if (!replaced) this.store.delete(row.id);
      throw internal(`storing the data of secret ${name}: ${(e as Error).message}`);
    }
    this.deps.events.publish('secret', 'create', row.id, { name });
    return this.view(row);
  }

  list(filters: Record<string, string[]> = {}): SecretView[] {
    const pick = secretFilter(filters);
    return this.store.all().map((r) => this.view(r)).filter(pick);
  }

  get(ref: string): SecretView {
    const r = this.row(ref);
    if (!r) throw noSuchSecret(ref);
    return this.view(r);
  }

  data(ref: string): Buffer {
    return this.resolveData(ref).data;
  }

  resolveData(ref: string): { id: string; name: string; data: Buffer } {
    const r = this.row(ref);
    if (!r) throw noSuchSecret(ref);
    const data = this.driver.read(r.id);
    if (!data) throw internal(`the data of secret ${r.name} is missing from the storage`);
    return { id: r.id, name: r.name, data };
  }

  remove(ref: string): string {
    const r = this.row(ref);
    if (!r) throw noSuchSecret(ref);
    this.store.tx(() => this.store.delete(r.id));
    this.driver.delete(r.id);
    this.deps.events.publish('secret', 'remove', r.id, { name: r.name });
    return r.id;
  }

  removeAll(): string[] {
    return this.store.all().map((r) => this.remove(r.id));
  }
}
