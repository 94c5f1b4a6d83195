// Secrets as the engine reports them: the record, never the data (only `SecretsPort.data` and
// the containers' copies read that).

export interface SecretView {
  /** 25 hex characters, as podman makes them. */
  id: string;
  name: string;
  driver: string;
  driverOptions: Record<string, string>;
  labels: Record<string, string>;
  /** ISO 8601. */
  createdAt: string;
  updatedAt: string;
}

export interface SecretCreateRequest {
  name: string;
  data: Buffer;
  driver?: string;
  driverOptions?: Record<string, string>;
  labels?: Record<string, string>;
  /** An existing secret of that name gets the new data and labels, keeping its ID (podman's --replace). */
  replace?: boolean;
}

/**
 * A container's use of a secret, as stored with the container: a file under /run/secrets (or at
 * an absolute target) or an environment variable. The data is copied for the container at create.
 */
export interface SecretUse {
  id: string;
  name: string;
  type: 'mount' | 'env';
  /** The path in the container (mount) or the variable's name (env). */
  target: string;
  uid: number;
  gid: number;
  mode: number;
}
