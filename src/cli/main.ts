import { CliError, type GlobalOptions } from './errors.js';
import { MAIN_HELP } from './help.js';
import { BERTH_VERSION } from '../version.js';

/** Splits global options (before the command) from the command and its own arguments. */
function parseGlobal(argv: string[]): { g: GlobalOptions; rest: string[]; help: boolean; version: boolean } {
  const g: GlobalOptions = { logLevel: 'error', storageEnv: process.env };
  let help = false;
  let version = false;
  let i = 0;
  const value = (name: string, inline: string | undefined) => {
    if (inline !== undefined) return inline;
    const v = argv[++i];
    if (v === undefined) throw new CliError(`flag needs an argument: ${name}`);
    return v;
  };
  for (; i < argv.length; i++) {
    const a = argv[i];
    if (!a.startsWith('-')) break;
    const [flag, inline] = a.includes('=') ? [a.slice(0, a.indexOf('=')), a.slice(a.indexOf('=') + 1)] : [a, undefined];
    switch (flag) {
      case '-h':
      case '--help':
        help = true;
        break;
      case '-v':
      case '--version':
        version = true;
        break;
      case '--log-level':
        g.logLevel = value(flag, inline);
        break;
      case '--root':
        process.env.BERTH_ROOT = value(flag, inline);
        break;
      case '--runroot':
        process.env.BERTH_RUNROOT = value(flag, inline);
        break;
      default:
        throw new CliError(`unknown flag: ${flag}\nSee 'berth --help'`);
    }
  }
  return { g, rest: argv.slice(i), help, version };
}

async function run(argv: string[]): Promise<number> {
  const { g, rest, help, version } = parseGlobal(argv);
  if (version) {
    process.stdout.write(`berth version ${BERTH_VERSION}\n`);
    return 0;
  }
  const [group, cmd, ...args] = rest;
  if (help || !group) {
    process.stdout.write(MAIN_HELP);
    return help ? 0 : 125;
  }
  if (group === 'version') {
    process.stdout.write(`berth version ${BERTH_VERSION}\n`);
    return 0;
  }
  // Rootless: what runs for the service (cleanup, healthcheck) runs inside the user's namespaces
  // (the service enters them itself once its arguments are checked). Root pays one getuid().
  if (process.getuid?.() !== 0 && group === 'container' && (cmd === 'cleanup' || cmd === 'healthcheck')) {
    (await import('./rootless-launch.js')).enterUserNamespace('join');
  }
  if (group === 'container' && cmd === 'cleanup') {
    const { cleanupCommand } = await import('./cleanup.js');
    return cleanupCommand(args, g);
  }
  if (group === 'container' && cmd === 'healthcheck') {
    const { healthcheckCommand } = await import('./healthcheck.js');
    return healthcheckCommand(args, g);
  }
  if (group === 'network' && cmd === 'port-forwarder') {
    // Not in --help: the rootless service starts it for published ports on user networks.
    const { portForwarderCommand } = await import('../network/rootless/forwarder-main.js');
    return portForwarderCommand(args);
  }
  if (group === 'system' && cmd === 'service') {
    const { serviceCommand } = await import('./service.js');
    return serviceCommand(args, g);
  }
  if (group === 'system' && (cmd === undefined || cmd === '--help' || cmd === '-h')) {
    process.stdout.write('Usage:\n  berth system service [options] [URI]\n');
    return cmd ? 0 : 125;
  }
  throw new CliError(`unrecognized command \`berth ${[group, cmd].filter(Boolean).join(' ')}\`\nTry 'berth --help' for more information`);
}

export function main(argv: string[]): void {
  run(argv).then(
    (code) => {
      process.exitCode = code;
      // Anything left (idle keep-alive sockets, timers) must not keep a finished service alive.
      if (argv.includes('service')) setImmediate(() => process.exit(code));
    },
    (err) => {
      if (err instanceof CliError) {
        process.stderr.write(`Error: ${err.message}\n`);
        process.exit(err.exitCode);
      }
      process.stderr.write(`Error: ${(err as Error)?.stack ?? String(err)}\n`);
      process.exit(125);
    },
  );
}
