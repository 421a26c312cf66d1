// The sentry's log. pino is loaded only when something is logged
// (--debug-log, --strace), which keeps it off the start-up path.

export interface Log {
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

import { writeSync } from 'node:fs';
import { createRequire } from 'node:module';
import type Pino from 'pino';

const nothing = () => {};
export const silentLog: Log = { debug: nothing, info: nothing, warn: nothing, error: nothing };

/** Errors only, one line each on fd `fd` ("tvisor: ", the message, and the error's if any), as a command line reports them. */
function errorLines(fd: number): Log {
  const error = (obj: object, msg?: string) => {
    const err = (obj as { err?: unknown }).err;
    const detail = err instanceof Error ? `: ${err.message}` : typeof err === 'string' ? `: ${err}` : '';
    try { writeSync(fd, `tvisor: ${msg ?? 'error'}${detail}\n`); } catch { /* nowhere to say it */ }
  };
  return { debug: nothing, info: nothing, warn: nothing, error };
}

/**
 * JSON lines to `file` (everything, at debug level), or strace lines to
 * stderr (or to fd straceFd: the library API's onSyscall reads them);
 * without either, the errors alone to fd `errorsTo` if given (`do`'s stderr:
 * a gofer that died or stalled, a handler's fault), else nothing.
 */
export async function openLog(opts: { debugLog?: string; strace: boolean; straceFd?: number; errorsTo?: number }): Promise<Log> {
  if (!opts.debugLog && !opts.strace) return opts.errorsTo === undefined ? silentLog : errorLines(opts.errorsTo);
  // required, not imported: the programs' bundles are CommonJS run from a code cache, where import() has no loader
  // (src/bundles.cts).
  const pino = createRequire(import.meta.url)('pino') as typeof Pino;
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
