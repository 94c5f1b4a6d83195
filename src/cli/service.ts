import { parseArgs } from 'node:util';
import { loadContainersConf } from '../config/containers-conf.js';
import { storagePaths } from '../config/paths.js';
import { systemdActivation, ListenError, type Binding } from '../server/listener.js';
import { createLogger, LEVELS, type Level } from '../server/log.js';
import { startService } from '../server/service.js';
import { defaultEndpoint, parseEndpoint, UriError } from '../server/uri.js';
import { SERVICE_HELP } from './help.js';
import { CliError, type GlobalOptions } from './errors.js';

const DEFAULT_TIMEOUT = 5;

export async function serviceCommand(args: string[], g: GlobalOptions): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args,
      allowPositionals: true,
      options: {
        time: { type: 'string', short: 't' },
        cors: { type: 'string' },
        'log-level': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (e) {
    throw new CliError((e as Error).message);
  }
  const { values, positionals } = parsed;
  if (values.help) {
    process.stdout.write(SERVICE_HELP);
    return 0;
  }
  if (positionals.length > 1) throw new CliError(`accepts at most 1 arg(s), received ${positionals.length}`);
  const level = (values['log-level'] ?? g.logLevel) as Level;
  if (!LEVELS.includes(level)) throw new CliError(`invalid log level "${level}": use one of ${LEVELS.join(', ')}`);

  let timeout: number | undefined;
  if (values.time !== undefined) {
    timeout = Number(values.time);
    if (!/^\d+$/.test(values.time) || !Number.isSafeInteger(timeout)) {
      throw new CliError(`invalid argument "${values.time}" for "-t, --time": expected a non-negative number of seconds`);
    }
  }

  // Everything that can be refused is checked before anything is created on disk.
  let binding: Binding;
  try {
    binding = systemdActivation() ?? {
      kind: 'endpoint',
      endpoint: positionals[0] ? parseEndpoint(positionals[0]) : defaultEndpoint(process.getuid?.() ?? 0, process.env),
    };
  } catch (e) {
    if (e instanceof UriError || e instanceof ListenError) throw new CliError(e.message);
    throw e;
  }
  let conf;
  try {
    conf = await loadContainersConf();
  } catch (e) {
    throw new CliError(`reading containers.conf: ${(e as Error).message}`);
  }
  timeout ??= conf.engine.service_timeout ?? DEFAULT_TIMEOUT;

  const log = createLogger(level);
  const paths = storagePaths(g.storageEnv);
  const socketPath = binding.kind === 'endpoint' && binding.endpoint.kind === 'unix' ? binding.endpoint.path : undefined;
  let engineP: Promise<import('../engine/engine.js').Engine> | undefined;
  // Loaded after listening: a cold /_ping never waits for engine code.
  const engine = () => (engineP ??= import('../engine/engine.js').then((m) => new m.Engine({ paths, conf, socketPath })));

  if (binding.kind === 'endpoint' && binding.endpoint.kind === 'tcp') {
    process.stderr.write(
      `WARNING: the API on ${binding.endpoint.uri} is not secured: anyone who can reach this port gets full control of berth and, through it, of this host.\n`,
    );
  }

  let svc;
  try {
    svc = await startService({ binding, engine, log, timeoutSeconds: timeout, cors: values.cors ?? '' });
  } catch (e) {
    if (e instanceof ListenError) throw new CliError(e.message);
    throw e;
  }
  svc.warmup(() => log.start());
  log.info('API service listening', {
    endpoint: binding.kind === 'systemd' ? `systemd fd ${binding.fd}` : binding.endpoint.uri,
    timeout,
    root: paths.root,
  });
  // The container service reconciles exits that happened while no service ran, and the image
  // store sweeps what killed loads and commits left half-made; started once the service has
  // settled so a cold /_ping never waits for it (a request that needs either starts it itself).
  svc.warmup(() =>
    engine()
      .then((e) => [e.containers, e.images])
      .catch((e: Error) => log.error('container service failed to start', { err: e.message })),
  );
  const onSignal = () => void svc.shutdown('signal');
  process.once('SIGTERM', onSignal);
  process.once('SIGINT', onSignal);
  const reason = await svc.done;
  log.info('API service stopped', { reason });
  await log.start();
  return 0;
}
