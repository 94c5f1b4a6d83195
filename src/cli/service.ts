import { parseArgs } from 'node:util';
import { storagePaths } from '../config/paths.js';
import { isRootless } from '../config/rootless.js';
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
        'tls-cert': { type: 'string' },
        'tls-key': { type: 'string' },
        'tls-ca': { type: 'string' },
        'tls-verify': { type: 'boolean' },
        policy: { type: 'string' },
        'audit-log': { type: 'string' },
        'audit-log-max-size': { type: 'string' },
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

  // Rootless: into the user's namespaces (berth re-executes itself there; only root goes on here),
  // once the endpoint is known good: a refusal must not leave a pause process behind.
  if (process.getuid?.() !== 0) {
    try {
      if (positionals[0]) parseEndpoint(positionals[0]);
      else if (!process.env.LISTEN_FDS) defaultEndpoint(true, process.env);
    } catch (e) {
      if (e instanceof UriError) throw new CliError(e.message);
      throw e;
    }
    (await import('./rootless-launch.js')).enterUserNamespace('create');
  }

  // Everything that can be refused is checked before anything is created on disk.
  let binding: Binding;
  try {
    binding = systemdActivation() ?? {
      kind: 'endpoint',
      endpoint: positionals[0] ? parseEndpoint(positionals[0]) : defaultEndpoint(isRootless(), process.env),
    };
  } catch (e) {
    if (e instanceof UriError || e instanceof ListenError) throw new CliError(e.message);
    throw e;
  }
  // containers.conf is read once the first reply is out: nothing before it needs the file (the
  // idle timeout, when -t does not give it, takes effect then, counted from the last activity),
  // and reading containers-common's 24 KB file took ~3 ms of CPU of every cold start here. A
  // file that cannot be read or parsed still ends the service, with the same error and exit code.
  let confP: Promise<import('../config/containers-conf.js').ContainersConf> | undefined;
  let confError: CliError | undefined;
  const conf = () =>
    (confP ??= import('../config/containers-conf.js')
      .then((m) => m.loadContainersConf())
      .catch((e: Error) => {
        throw (confError ??= new CliError(`reading containers.conf: ${e.message}`));
      }));

  const tlsFiles = tlsFilesOf(values, binding);
  let tls: import('node:tls').TlsOptions | undefined;
  let tlsMod: typeof import('../server/tls.js') | undefined;
  if (tlsFiles) {
    tlsMod = await import('../server/tls.js');
    try {
      tls = tlsMod.serverOptions(tlsFiles);
    } catch (e) {
      if (e instanceof tlsMod.TlsError) throw new CliError(e.message);
      throw e;
    }
  }
  const access = await accessOf(values);

  const log = createLogger(level);
  // Decided after listening (rootless or not may read /proc): a cold /_ping never waits for it.
  let pathsV: ReturnType<typeof storagePaths> | undefined;
  const storage = () => (pathsV ??= storagePaths(g.storageEnv));
  const socketPath = binding.kind === 'endpoint' && binding.endpoint.kind === 'unix' ? binding.endpoint.path : undefined;
  let engineP: Promise<import('../engine/engine.js').Engine> | undefined;
  // Loaded after listening: a cold /_ping never waits for engine code.
  const engine = () =>
    (engineP ??= Promise.all([import('../engine/engine.js'), conf()]).then(([m, c]) => new m.Engine({ paths: storage(), conf: c, socketPath })));

  if (binding.kind === 'endpoint' && binding.endpoint.kind === 'tcp') {
    if (!tlsFiles) {
      process.stderr.write(
        `WARNING: the API on ${binding.endpoint.uri} is not secured: anyone who can reach this port gets full control of berth and, through it, of this host (use --tls-cert, --tls-key, --tls-verify and --tls-ca).\n`,
      );
    } else if (!tlsFiles.verify) {
      process.stderr.write(
        `WARNING: the API on ${binding.endpoint.uri} is encrypted but does not require client certificates: anyone who can reach this port gets full control of berth (use --tls-verify --tls-ca).\n`,
      );
    }
  }

  let svc;
  try {
    svc = await startService({ binding, engine, log, timeoutSeconds: timeout, cors: values.cors ?? '', tls, access: access?.control });
  } catch (e) {
    if (e instanceof ListenError) throw new CliError(e.message);
    throw e;
  }
  const running = svc;
  svc.warmup(() =>
    conf().then(
      (c) => {
        const seconds = timeout ?? c.engine.service_timeout ?? DEFAULT_TIMEOUT;
        if (timeout === undefined) running.setIdleTimeout(seconds);
        log.info('API service listening', {
          endpoint: binding.kind === 'systemd' ? `systemd fd ${binding.fd}` : binding.endpoint.uri,
          timeout: seconds,
          root: storage().root,
        });
      },
      () => void running.shutdown('requested'),
    ),
    true,
  );
  svc.warmup(() => log.start());
  if (process.env.BERTH_DEBUG_MEMORY) {
    const file = process.env.BERTH_DEBUG_MEMORY;
    svc.warmup(() => import('../server/memory-report.js').then((m) => m.installMemoryReport(file)));
  }
  // The container service reconciles exits that happened while no service ran, and the image
  // store sweeps what killed loads and commits left half-made; started once the service has
  // settled so a cold /_ping never waits for it (a request that needs either starts it itself).
  svc.warmup(() =>
    engine()
      .then((e) => [e.containers, e.images])
      .catch((e: Error) => log.error('container service failed to start', { err: e.message })),
  );
  if (tlsFiles || access?.policyFile) {
    // SIGHUP re-reads certificates and the policy; what fails to load leaves the old in force.
    process.on('SIGHUP', () => {
      if (tlsFiles && tlsMod) {
        try {
          running.setSecureContext(tlsMod.secureContextOptions(tlsFiles));
          log.info('TLS certificates reloaded', { cert: tlsFiles.cert });
        } catch (e) {
          log.error('TLS certificates not reloaded: keeping the current ones', { err: (e as Error).message });
        }
      }
      if (access?.policyFile) {
        const file = access.policyFile;
        void import('../server/access/policy.js')
          .then((m) => m.loadPolicy(file))
          .then((p) => {
            access.control.setPolicy(p);
            log.info('policy reloaded', { file });
          })
          .catch((e: Error) => log.error('policy not reloaded: keeping the current one', { err: e.message }));
      }
    });
  }
  const onSignal = () => void svc.shutdown('signal');
  process.once('SIGTERM', onSignal);
  process.once('SIGINT', onSignal);
  const reason = await svc.done;
  log.info('API service stopped', { reason });
  await log.start();
  if (confError) throw confError;
  return 0;
}

type Values = Record<string, string | boolean | undefined>;

/** TLS options as given; mistakes in their combination are refused before anything starts. */
function tlsFilesOf(v: Values, binding: Binding): import('../server/tls.js').TlsFiles | undefined {
  const cert = v['tls-cert'] as string | undefined;
  const key = v['tls-key'] as string | undefined;
  const ca = v['tls-ca'] as string | undefined;
  const verify = !!v['tls-verify'];
  if (!cert && !key && !ca && !verify) return undefined;
  if (!cert || !key) throw new CliError('--tls-cert and --tls-key go together: give both to serve HTTPS');
  if (verify && !ca) throw new CliError('--tls-verify needs --tls-ca: the CA that signs the client certificates');
  if (binding.kind === 'endpoint' && binding.endpoint.kind === 'unix') throw new CliError('TLS is for tcp:// endpoints: a unix socket is guarded by its file mode (and --policy)');
  return { cert, key, ca, verify };
}

const SIZE = /^(\d+)([kmg]i?b?)?$/i;
const UNIT: Record<string, number> = { k: 1024, m: 1024 ** 2, g: 1024 ** 3 };
const DEFAULT_AUDIT_MAX = 100 * 1024 ** 2;

/** --policy and --audit-log: loaded (and refused when wrong) before listening. */
async function accessOf(v: Values): Promise<{ control: import('../server/access/hook.js').AccessControl; policyFile?: string } | undefined> {
  const policyFile = v.policy as string | undefined;
  const auditFile = v['audit-log'] as string | undefined;
  const maxText = v['audit-log-max-size'] as string | undefined;
  if (maxText !== undefined && !auditFile) throw new CliError('--audit-log-max-size needs --audit-log');
  if (!policyFile && !auditFile) return undefined;
  let maxBytes = DEFAULT_AUDIT_MAX;
  if (maxText !== undefined) {
    const m = SIZE.exec(maxText.trim());
    if (!m) throw new CliError(`invalid --audit-log-max-size "${maxText}": a number of bytes, with k, m or g (0 never rotates)`);
    maxBytes = Number(m[1]) * (m[2] ? UNIT[m[2][0].toLowerCase()] : 1);
  }
  const [{ AccessControl }, policyMod, auditMod, peerMod] = await Promise.all([
    import('../server/access/hook.js'),
    import('../server/access/policy.js'),
    import('../server/access/audit.js'),
    import('../server/access/peer.js'),
  ]);
  try {
    peerMod.loadPeercred();
  } catch (e) {
    throw new CliError((e as Error).message);
  }
  let policy;
  if (policyFile) {
    try {
      policy = await policyMod.loadPolicy(policyFile);
    } catch (e) {
      if (e instanceof policyMod.PolicyError) throw new CliError(e.message);
      throw e;
    }
  }
  let sink;
  if (auditFile === '-') sink = new auditMod.StderrAudit();
  else if (auditFile) {
    try {
      sink = new auditMod.FileAudit(auditFile, maxBytes);
    } catch (e) {
      throw new CliError(`cannot open audit log ${auditFile}: ${(e as Error).message}`);
    }
  }
  return { control: new AccessControl(policy, sink), policyFile };
}
