// The sentry's private directories in /dev/shm (empty directories, FIFOs,
// socket paths), named with its pid so that those of a killed sandbox are found.
import { existsSync, readdirSync, rmdirSync } from 'node:fs';

export const SHM = '/dev/shm';

/** Removes an EmptyDir's directory and the empty directories in it (nothing else: rmdir fails on anything). */
export function removeEmptyDirTree(path: string): void {
  try {
    for (const name of readdirSync(path)) rmdirSync(`${path}/${name}`);
    rmdirSync(path);
  } catch { /* already gone, or not empty: not ours to judge */ }
}

/** Directories left by sandbox processes that were killed (their pid is in the name). */
export function removeStaleEmptyDirs(): void {
  for (const name of readdirSync(SHM)) {
    const pid = /^tvisor-(?:dir|fifo|sock)-(\d+)-/.exec(name)?.[1];
    if (!pid || existsSync(`/proc/${pid}`)) continue;
    removeEmptyDirTree(`${SHM}/${name}`);
  }
}

