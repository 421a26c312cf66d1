// Starting a gofer process. Kept apart from the client so that the sandbox
// can start it first thing, before loading the rest of the sentry.
import { spawn } from 'node:child_process';
import { closeSync } from 'node:fs';
import { native, repoFile, tv } from '../../platform/native.js';

export interface GoferProcess { sock: number; pid: number }

/** What a sandbox's gofer serves: attach 0 is the root's lower layer, then each bind mount. */
export function goferAttaches(spec: { rootfs: string; mounts: { host: string; readonly: boolean }[] }) {
  return [{ path: spec.rootfs, readonly: true }, ...spec.mounts.map((m) => ({ path: m.host, readonly: m.readonly }))];
}

/** Starts a gofer serving `attaches` (attach i is attaches[i]); sock is the sentry's end. */
export function spawnGofer(attaches: { path: string; readonly: boolean }[]): GoferProcess {
  const pair = new Int32Array(2);
  tv(native.socketpair(pair));
  const args = [repoFile('dist/gofer/main.js'), '--sock-fd', '3'];
  for (const a of attaches) args.push('--attach', a.readonly ? `${a.path}:ro` : a.path);
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'ignore', 'inherit', pair[1]!] });
  closeSync(pair[1]!);
  if (child.pid === undefined) throw new Error('cannot start the gofer');
  // The sentry reaps it (its death stops the sandbox); Node's loop must not wait for it.
  child.unref();
  return { sock: pair[0]!, pid: child.pid };
}
