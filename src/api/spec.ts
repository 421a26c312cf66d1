// What a sandbox of the library API (and `tvisor do`, which is one) is made
// of, apart from its process: the mount tree over its root, and its
// processes' environment. Light on purpose: \`do\` loads it without the API.
import type { MountSpec } from '../../sentry/boot.js';

/** A host path given to the sandbox (a directory or a file). */
export interface Bind {
  host: string;
  /** Where the guest sees it (absolute). */
  guest: string;
  /** The guest gets EROFS (default false). */
  readonly?: boolean;
  /** With the host mounts beneath it, as rbind (default true); false: only its own mount, as bind. */
  recursive?: boolean;
}

export const DEFAULT_PATH = 'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

export function envList(env: Record<string, string> | string[] | undefined): string[] {
  if (!env) return [];
  return Array.isArray(env) ? env : Object.entries(env).map(([k, v]) => `${k}=${v}`);
}

/** base with `over`'s variables replacing those of the same name (the last of a name in `over` wins). */
export function mergeEnv(base: string[], over: string[]): string[] {
  const key = (e: string) => e.slice(0, e.indexOf('=') < 0 ? e.length : e.indexOf('='));
  const last = new Map(over.map((e) => [key(e), e]));
  return [...base.filter((e) => !last.has(key(e))), ...over.filter((e) => last.get(key(e)) === e)];
}

/**
 * The tree over the root: /dev/shm, the binds, /sys and /proc (boot adds
 * /dev and /dev/pts). Volume i (by its guest path) is served over the
 * sandbox process's fd firstVolumeFd + i.
 */
export function sandboxMounts(binds: Bind[], volumes: string[], firstVolumeFd: number): MountSpec[] {
  return [
    { destination: '/dev/shm', type: 'tmpfs', source: 'shm', options: ['nosuid', 'nodev'] },
    ...binds.map((b) => ({ destination: b.guest, type: 'bind', source: b.host,
      options: [b.recursive === false ? 'bind' : 'rbind', b.readonly ? 'ro' : 'rw'] })),
    ...volumes.map((guest, i) => ({ destination: guest, type: 'bind', source: 'volume', goferSocket: firstVolumeFd + i,
      options: ['bind', 'rw'] })),
    { destination: '/sys', type: 'sysfs', options: ['ro', 'nosuid', 'nodev', 'noexec'] },
    { destination: '/proc', type: 'proc', options: ['nosuid', 'nodev', 'noexec'] },
  ];
}
