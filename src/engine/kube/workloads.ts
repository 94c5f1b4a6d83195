// Which pods a kube document stands for: a Pod is one; a Deployment one per replica; a DaemonSet
// (one node here) and a Job one each. Names follow podman 4's: `<name>-pod-<i>`, `<name>-pod`.
import { badParameter } from '../errors.js';
import { clip } from '../../lib/clip.js';
import { nameOf } from './names.js';
import type { IPodSpec, KubeDoc } from './types.js';

export interface PodSource {
  podName: string;
  /** The document it came from, by kind and name (for down and the reports). */
  kind: string;
  owner: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  spec: IPodSpec | undefined;
  allowedRestart?: string[];
}

export const WORKLOAD_KINDS = new Set(['Pod', 'Deployment', 'DaemonSet', 'Job']);

/** The most replicas one Deployment may ask for here: one host, each a pod of its own. */
const MAX_REPLICAS = 100;

interface Template {
  metadata?: { labels?: Record<string, string>; annotations?: Record<string, string> };
  spec?: IPodSpec;
}

function templateOf(doc: KubeDoc): Template {
  const spec = doc.spec as { template?: Template } | undefined;
  if (!spec?.template || typeof spec.template !== 'object') throw badParameter(`${doc.kind} ${clip(doc.metadata?.name ?? '')}: spec.template is missing`);
  return spec.template;
}

export function podsOf(doc: KubeDoc): PodSource[] {
  const name = nameOf(doc);
  switch (doc.kind) {
    case 'Pod':
      return [{ podName: name, kind: 'Pod', owner: name, labels: doc.metadata?.labels ?? {}, annotations: doc.metadata?.annotations ?? {}, spec: doc.spec as IPodSpec | undefined }];
    case 'Deployment': {
      const t = templateOf(doc);
      const r = (doc.spec as { replicas?: unknown }).replicas;
      const replicas = r === undefined || r === null ? 1 : r;
      if (typeof replicas !== 'number' || !Number.isInteger(replicas) || replicas < 0 || replicas > MAX_REPLICAS) throw badParameter(`Deployment ${clip(name)}: replicas must be a whole number from 0 to ${MAX_REPLICAS}`);
      return Array.from({ length: replicas }, (_, i) => ({
        podName: `${name}-pod-${i}`, kind: 'Deployment', owner: name, labels: t.metadata?.labels ?? {}, annotations: t.metadata?.annotations ?? {}, spec: t.spec, allowedRestart: ['Always'],
      }));
    }
    case 'DaemonSet': {
      const t = templateOf(doc);
      return [{ podName: `${name}-pod`, kind: 'DaemonSet', owner: name, labels: t.metadata?.labels ?? {}, annotations: t.metadata?.annotations ?? {}, spec: t.spec, allowedRestart: ['Always'] }];
    }
    case 'Job': {
      const t = templateOf(doc);
      return [{ podName: `${name}-pod`, kind: 'Job', owner: name, labels: t.metadata?.labels ?? {}, annotations: t.metadata?.annotations ?? {}, spec: t.spec, allowedRestart: ['OnFailure', 'Never'] }];
    }
  }
  return [];
}

/** The data of a ConfigMap document (binaryData decoded); values must be strings. */
export function configMapData(doc: KubeDoc): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries((doc.data as Record<string, unknown> | undefined) ?? {})) {
    if (typeof v !== 'string') throw badParameter(`ConfigMap ${clip(doc.metadata?.name ?? '')}: data.${clip(k)} must be a string`);
    out[k] = v;
  }
  for (const [k, v] of Object.entries((doc.binaryData as Record<string, unknown> | undefined) ?? {})) {
    if (typeof v !== 'string') throw badParameter(`ConfigMap ${clip(doc.metadata?.name ?? '')}: binaryData.${clip(k)} must be base64 text`);
    out[k] = Buffer.from(v, 'base64').toString('utf8');
  }
  return out;
}

/** The data of a Secret document: `data` base64-decoded, `stringData` over it (Kubernetes' rule). */
export function secretData(doc: KubeDoc): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries((doc.data as Record<string, unknown> | undefined) ?? {})) {
    if (typeof v !== 'string' || !/^[A-Za-z0-9+/]*={0,2}$/.test(v.replace(/\s+/g, ''))) throw badParameter(`Secret ${clip(doc.metadata?.name ?? '')}: data.${clip(k)} must be base64 text`);
    out[k] = Buffer.from(v, 'base64').toString('utf8');
  }
  for (const [k, v] of Object.entries((doc.stringData as Record<string, unknown> | undefined) ?? {})) {
    if (typeof v !== 'string') throw badParameter(`Secret ${clip(doc.metadata?.name ?? '')}: stringData.${clip(k)} must be a string`);
    out[k] = v;
  }
  return out;
}
