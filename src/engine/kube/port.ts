import type { GenerateRequest, KubePlan, PlayOptions, PlayReport, TeardownReport } from './types.js';

/** What the API layers may ask of kube YAML: generate it from what runs, play it, tear it down. */
export interface KubePort {
  /** The YAML (documents separated by `---`) describing the named containers, pods or volumes. */
  generate(req: GenerateRequest): Promise<string>;
  /** What `play` would make of the YAML, checked as play checks it, without making anything. */
  plan(yaml: string, opts: PlayOptions): Promise<KubePlan>;
  /** Makes (and starts) what the YAML describes; all or nothing: a failure removes what it made. */
  play(yaml: string, opts: PlayOptions): Promise<PlayReport>;
  /** Stops and removes the pods the YAML describes; `force` removes its claims' volumes too. */
  down(yaml: string, opts?: { force?: boolean }): Promise<TeardownReport>;
}
