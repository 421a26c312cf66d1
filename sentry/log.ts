// The sentry's log. pino is loaded only when something is logged
// (--debug-log, --strace), which keeps it off the start-up path.

export interface Log {
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

const nothing = () => {};
export const silentLog: Log = { debug: nothing, info: nothing, warn: nothing, error: nothing };

/**
 * JSON lines to `file` (everything, at debug level), or strace lines to
 * stderr (or to fd straceFd: the library API's onSyscall reads them).
 */
export async function openLog(opts: { debugLog?: string; strace: boolean; straceFd?: number }): Promise<Log> {
  if (!opts.debugLog && !opts.strace) return silentLog;
  const { default: pino } = await import('pino');
  const logger = opts.debugLog
    ? pino({ level: 'debug' }, pino.destination({ dest: opts.debugLog, sync: true }))
    : pino({ level: 'info', base: undefined, timestamp: false }, pino.destination({ dest: opts.straceFd ?? 2, sync: true }));
  return {
    debug: (obj, msg) => logger.debug(obj, msg),
    info: (obj, msg) => logger.info(obj, msg),
    warn: (obj, msg) => logger.warn(obj, msg),
    error: (obj, msg) => logger.error(obj, msg),
  };
}
