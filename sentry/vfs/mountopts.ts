// A runtime mount's option list (OCI `mounts[].options`, mount(8)'s -o):
// which are the mount's flags, which go to the filesystem as its data
// string, and which say nothing inside a sandbox (propagation: the
// sandbox's tree is the sentry's own, no mount event crosses it either way;
// atime policies: the sentry keeps no atime policy of its own).
import type { MountFlags } from './mount.js';

export interface MountOptions {
  flags: MountFlags;
  /** rbind: the bind takes the source's submounts along. */
  recursive: boolean;
  /** The filesystem's own options (size=, mode=, uid=…), comma-joined. */
  data: string;
  /** tmpcopyup (runc/crun's extension, podman's --read-only tmpfs mounts): the tmpfs starts with what the covered directory holds. */
  copyUp: boolean;
}

const FLAG_OPTIONS: Record<string, [keyof MountFlags, boolean]> = {
  ro: ['readonly', true], rw: ['readonly', false], nosuid: ['nosuid', true], suid: ['nosuid', false],
  nodev: ['nodev', true], dev: ['nodev', false], noexec: ['noexec', true], exec: ['noexec', false],
};

/** Accepted and without effect in a sandbox (see above). */
const IGNORED = new Set(['private', 'rprivate', 'shared', 'rshared', 'slave', 'rslave', 'unbindable', 'runbindable',
  'relatime', 'norelatime', 'strictatime', 'nostrictatime', 'noatime', 'atime', 'nodiratime', 'diratime', 'lazytime',
  'nolazytime', 'sync', 'async', 'dirsync', 'silent', 'loud', 'nomand', 'defaults', 'iversion', 'noiversion']);

/** Data options each filesystem type takes (the filesystem checks their values). */
const DATA_KEYS: Record<string, readonly string[]> = {
  tmpfs: ['size', 'mode', 'uid', 'gid', 'nr_inodes', 'nr_blocks', 'huge', 'mpol', 'inode32', 'inode64', 'noswap'],
  devpts: ['newinstance', 'ptmxmode', 'mode', 'gid', 'max'],
  proc: ['hidepid', 'subset', 'gid'],
  sysfs: [], bind: [], mqueue: [], cgroup: [], cgroup2: [],
};

export class MountOptionError extends Error {}

export function parseMountOptions(type: string, options: readonly string[]): MountOptions {
  const flags: MountFlags = { readonly: false, nosuid: false, nodev: false, noexec: false };
  let recursive = false;
  let copyUp = false;
  const data: string[] = [];
  for (const opt of options) {
    const flag = FLAG_OPTIONS[opt];
    if (flag) { flags[flag[0]] = flag[1]; continue; }
    if (opt === 'bind') continue;
    if (opt === 'rbind') { recursive = true; continue; }
    if (IGNORED.has(opt)) continue;
    if (opt === 'tmpcopyup' && type === 'tmpfs') { copyUp = true; continue; }
    const key = opt.split('=', 1)[0]!;
    if (!(DATA_KEYS[type] ?? []).includes(key)) throw new MountOptionError(`unknown option ${opt} for a ${type} mount`);
    data.push(opt);
  }
  return { flags, recursive, data: data.join(','), copyUp };
}
