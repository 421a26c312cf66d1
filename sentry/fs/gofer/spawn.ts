// Starting a gofer process. Kept apart from the client so that the sandbox
// can start it first thing, before loading the rest of the sentry.
import type * as ChildProcess from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { createRequire } from 'node:module';
import { native, repoFile, tv } from '../../host/native.js';

/**
 * node:child_process, loaded when a gofer is spawned here: with net, dgram and the streams under it, ≈ 5 ms of a
 * start-up, which `do` (whose gofer the front end starts) and the runtime's commands do not need.
 */
const childProcess = () => createRequire(import.meta.url)('node:child_process') as typeof ChildProcess;

/** The gofer's program: its bundle (scripts/bundle.mjs), one file to load. */
const GOFER_MAIN = repoFile('dist/bundle/gofer/main.js');

/**
 * sock: the sentry's end of its socket. pidfd: given when the gofer is not the sentry's child (the runtime's create
 * started it beside the sandbox process): what the sentry watches for its death.
 */
export interface GoferProcess { sock: number; pid: number; pidfd?: number }
/**
 * A host directory tree or single file to serve (gofer.proto's Attach);
 * attach id i is the i-th of the list. recursive defaults to true (`rbind`).
 */
export interface GoferAttach { path: string; readonly: boolean; recursive?: boolean }
/**
 * logFile: where the gofer's stderr goes (appended), instead of the sentry's stderr; quiet: nowhere. detached: in a
 * session of its own (the runtime's create starts it beside a daemonized sandbox process).
 */
export interface GoferOptions { logFile?: string; quiet?: boolean; detached?: boolean }

/** A runtime mount as far as the gofer cares (boot.ts's MountSpec). */
interface MountLike { type: string; source?: string; options: string[]; goferSocket?: number }

/**
 * What a sandbox's gofer serves: attach 0 is the root's lower layer, then each bind mount of a host path, in order
 * (rbind: with its submounts), then the pod's bind volumes (sentry/pod.ts), read-write.
 */
export function goferAttaches(spec: { rootfs: string; mounts: MountLike[]; volumes?: { type: string; source: string }[] }): GoferAttach[] {
  return [{ path: spec.rootfs, readonly: true }, ...spec.mounts.filter((m) => m.type === 'bind' && m.goferSocket === undefined).map((m) => ({
    path: m.source!, readonly: m.options.includes('ro'), recursive: m.options.includes('rbind'),
  })), ...(spec.volumes ?? []).filter((v) => v.type === 'bind').map((v) => ({ path: v.source, readonly: false }))];
}

/**
 * Starts a gofer; sock is the sentry's end of its socketpair (close-on-exec).
 * It serves nothing until told what (GoferClient.attach): a sandbox may
 * start one before it knows, so that its start-up overlaps other work.
 */
export function spawnGofer(opts: GoferOptions = {}): GoferProcess {
  const pair = new Int32Array(2);
  tv(native.socketpair(pair));
  const log = opts.logFile !== undefined ? openSync(opts.logFile, 'a') : opts.quiet ? 'ignore' : 'inherit';
  try {
    const child = childProcess().spawn(process.execPath, [GOFER_MAIN, '--sock-fd', '3'],
      { stdio: ['ignore', 'ignore', log, pair[1]!], detached: opts.detached ?? false });
    if (child.pid === undefined) throw new Error('cannot start the gofer');
    // Its parent reaps it; Node's loop must not wait for it.
    child.unref();
    return { sock: pair[0]!, pid: child.pid };
  } catch (e) {
    closeSync(pair[0]!);
    throw e;
  } finally {
    closeSync(pair[1]!);
    if (typeof log === 'number') closeSync(log);
  }
}
