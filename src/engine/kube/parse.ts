import { parseAllDocuments, stringify } from 'yaml';
import { badParameter } from '../errors.js';
import { clip } from '../../lib/clip.js';
import type { KubeDoc } from './types.js';

/** The documents of a kube YAML stream; a syntax error or a document that is no object is a bad parameter. */
export function parseKubeYaml(text: string): KubeDoc[] {
  const docs = parseAllDocuments(text, { prettyErrors: false });
  // A stream with one malformed document yields a single Document (or the array type's rest) with errors.
  const list = Array.isArray(docs) ? docs : [docs];
  const out: KubeDoc[] = [];
  for (const d of list) {
    const err = d.errors[0];
    if (err) throw badParameter(`invalid YAML: ${clip(err.message, 300)}`);
    let v: unknown;
    try {
      // Bounded: a stream of nested aliases would otherwise expand without end (billion laughs).
      v = d.toJS({ maxAliasCount: 100 });
    } catch (e) {
      throw badParameter(`invalid YAML: ${clip((e as Error).message, 300)}`);
    }
    if (v === null || v === undefined) continue; // an empty document between separators
    if (typeof v !== 'object' || Array.isArray(v)) throw badParameter('invalid YAML: every document must be a Kubernetes object (a mapping with apiVersion and kind)');
    const doc = v as KubeDoc;
    if (typeof doc.kind !== 'string' || !doc.kind) throw badParameter('invalid YAML: a document has no kind');
    out.push(doc);
  }
  if (!out.length) throw badParameter('invalid YAML: no Kubernetes objects in it');
  return out;
}

/** Documents as one YAML stream, separated as kubectl expects. */
export function stringifyKubeYaml(docs: object[]): string {
  return docs.map((d) => stringify(d, { lineWidth: 0 })).join('---\n');
}

export { nameOf } from './names.js';
