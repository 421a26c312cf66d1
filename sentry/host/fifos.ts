// Host FIFOs behind the sandbox's own FIFOs.
import { mkdtempSync, openSync, rmdirSync, unlinkSync } from 'node:fs';
import { O } from '../abi/flags.js';
import { host } from './fd.js';
import { libcCalls, sys } from './native.js';
import { SHM } from './shm.js';

/**
 * Host FIFOs for the sandbox's own FIFOs (tmpfs). Each is made in a private
 * directory and unlinked at once: the sentry keeps only an O_PATH fd of it,
 * through which every open of the sandbox FIFO reaches the same host pipe.
 */
export class HostFifos {
  private dir: string | null = null;
  private n = 0;

  /** A new unnamed host FIFO: an O_PATH fd of it, the caller's to keep. */
  make(): number {
    this.dir ??= mkdtempSync(`${SHM}/tvisor-fifo-${process.pid}-`);
    const path = `${this.dir}/${this.n++}`;
    sys(libcCalls.mkfifo(path, 0o600));
    try {
      return host(() => openSync(path, O.PATH | O.CLOEXEC));
    } finally {
      unlinkSync(path);
    }
  }

  dispose(): void {
    if (this.dir) try { rmdirSync(this.dir); } catch { /* already gone */ }
  }
}

/** The sandbox process's host FIFOs (one sandbox per process). */
export const hostFifos = new HostFifos();

