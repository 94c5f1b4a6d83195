import type { Logger as Pino } from 'pino';

export const LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'panic'] as const;
export type Level = (typeof LEVELS)[number];

type Fields = Record<string, unknown>;
export interface Logger {
  level: Level;
  enabled(level: Level): boolean;
  /** Loads pino now (call once the listener is up); resolves when earlier lines are written. */
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
 * pino writes the logs, but it costs ~15 ms to load: it is loaded right after the listener is
 * up so the first reply is not delayed, and lines logged before that are replayed in order.
 */
export function createLogger(level: Level): Logger {
  let pino: Pino | undefined;
  const early: [Level, string, Fields | undefined][] = [];
  const min = rank(level);
  const write = (l: Level, msg: string, f?: Fields) => {
    if (rank(l) < min) return;
    const pl = l === 'panic' ? 'fatal' : l;
    if (pino) pino[pl](f ?? {}, msg);
    else early.push([l, msg, f]);
  };
  let loading: Promise<void> | undefined;
  const start = () =>
    (loading ??= import('pino').then((m) => m.default ?? m.pino).then((make) => {
      pino = make(
        { level: level === 'panic' ? 'fatal' : level, base: undefined, timestamp: make.stdTimeFunctions.isoTime },
        make.destination({ fd: 2, sync: true }),
      );
      for (const [l, m, f] of early.splice(0)) write(l, m, f);
    }));
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
