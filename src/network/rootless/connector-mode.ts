// podman's connector network modes: `pasta`, `slirp4netns`, and `pasta:OPT,OPT…` whose options are
// added to the container's pasta command line (after containers.conf's pasta_options, as podman
// adds them). Options that would take the process out of berth's hands are refused: which namespace
// it joins, its pid file, staying in the foreground, outliving the namespace.
import type { RootlessNetworkCmd } from './tools.js';

export interface ConnectorMode {
  cmd: RootlessNetworkCmd;
  /** The container's own pasta options (none for slirp4netns). */
  options: string[];
}

const BERTH_OWNS = new Set(['--netns', '--netns-only', '--userns', '-P', '--pid', '-f', '--foreground', '--runas', '-F', '--fd', '--no-netns-quit', '-h', '--help', '--version']);

/** The connector a NetworkMode names, undefined for any other mode. */
export function connectorMode(mode: string): ConnectorMode | undefined {
  if (mode === 'pasta' || mode === 'slirp4netns') return { cmd: mode, options: [] };
  if (!mode.startsWith('pasta:')) return undefined;
  return { cmd: 'pasta', options: mode.slice('pasta:'.length).split(',').filter(Boolean) };
}

/** Why a `pasta:…`/`slirp4netns:…` mode cannot be used, undefined when it can. */
export function connectorModeProblem(mode: string): string | undefined {
  if (mode.startsWith('slirp4netns:')) return 'options for slirp4netns are not supported (use --network pasta:OPTIONS, or slirp4netns without options)';
  const c = connectorMode(mode);
  if (!c) return undefined;
  if (mode.startsWith('pasta:') && !c.options.length) return 'pasta: names no options (use --network pasta, or pasta:OPT,OPT)';
  const owned = c.options.find((o) => BERTH_OWNS.has(o.split('=')[0]) || /^-[PfF]./.test(o));
  if (owned) return `pasta option ${JSON.stringify(owned)} is berth's to set: the namespace pasta joins, its pid file and its lifetime follow the container`;
  return undefined;
}
