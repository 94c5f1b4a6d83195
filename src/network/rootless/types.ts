// Shapes shared by the rootless network helpers (structurally the engine's own).

export interface PublishedPort {
  hostIp: string;
  hostPort: number;
  containerPort: number;
  protocol: string;
}

/** A helper process a run started and must end: its owner token (`pid.starttime`). */
export interface HelperProcess {
  kind: 'pasta' | 'slirp4netns' | 'forwarder';
  token: string;
  /** Files it leaves (a pid file, an API socket, a log) removed with it. */
  files?: string[];
}
