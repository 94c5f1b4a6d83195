import type { Logger as Pino } from 'pino';

export const LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'panic'] as const;
export type Level = (typeof LEVELS)[number];

type Fields = Record<string, unknown>;
export interface Logger {
  level: Level;
  enabled(level: Level): boolean;
  /** Resolves when the lines logged so far are written (pino loads with the first line to write). */
  start(): Promise<void>;
  trace(msg: string, f?: Fields): void;
  debug(msg: string, f?: Fields): void;
  info(msg: string, f?: Fields): void;
  warn(msg: string, f?: Fields): void;
  error(msg: string, f?: Fields): void;
  fatal(msg: string, f?: Fields): void;
}

const rank = (l: Level) => LEVELS.indexOf(l === 'panic' ? 'fatal' : l);

/**
 * pino writes the logs, but it costs ~15 ms and ~5 MiB to load: it is loaded with the first line
 * there is to write (at the default level, error, a service may never write one), never before
 * the listener is up, and lines logged while it loads are written after it in order.
 */
export function createLogger(level: Level): Logger {
  let pino: Pino | undefined;
  const early: [Level, string, Fields | undefined][] = [];
  const min = rank(level);
  let listening = false;
  let loading: Promise<void> | undefined;
  const load = () =>
    (loading ??= import('pino').then((m) => m.default ?? m.pino).then((make) => {
      pino = make(
        { level: level === 'panic' ? 'fatal' : level, base: undefined, timestamp: make.stdTimeFunctions.isoTime },
        make.destination({ fd: 2, sync: true }),
      );
      for (const [l, m, f] of early.splice(0)) write(l, m, f);
    }));
  const write = (l: Level, msg: string, f?: Fields) => {
    if (rank(l) < min) return;
    const pl = l === 'panic' ? 'fatal' : l;
    if (pino) return void pino[pl](f ?? {}, msg);
    early.push([l, msg, f]);
    if (listening) void load();
  };
  const start = () => {
    listening = true;
    return pino || !early.length ? (loading ?? Promise.resolve()) : load();
  };
  return {
    level,
    enabled: (l) => rank(l) >= min,
    start,
    trace: (m, f) => write('trace', m, f),
    debug: (m, f) => write('debug', m, f),
    info: (m, f) => write('info', m, f),
    warn: (m, f) => write('warn', m, f),
    error: (m, f) => write('error', m, f),
    fatal: (m, f) => write('fatal', m, f),
  };
}
