// The kernel's own proc, mounted (detached, see tv_spawn) by the sandbox's
// init, so it belongs to the sandbox's pid namespace: its pids, its listing
// of processes and the pids inside its files are the sandbox's already.
// The sentry reads it for what only the host kernel knows (process state,
// memory, limits); what it says about paths, mounts and the host is
// translated or left out by the proc files built on it.
import { openSync, readdirSync, readFileSync, readlinkSync, statSync } from 'node:fs';
import { O } from '../abi/flags.js';
import { closeQuietly, host, hostStat } from './fd.js';
import type { HostStat } from './native.js';

export class SandboxProc {
  constructor(private readonly mountFd: number) {}

  private at(rel: string): string { return `/proc/self/fd/${this.mountFd}/${rel}`; }

  read(rel: string): Buffer { return host(() => readFileSync(this.at(rel))); }
  text(rel: string): string { return this.read(rel).toString('latin1'); }
  list(rel: string): string[] { return host(() => readdirSync(this.at(rel))); }
  /** A link's body as a name (abi/names.ts). */
  readlink(rel: string): string { return host(() => readlinkSync(this.at(rel), 'latin1')); }
  mode(rel: string): number { return host(() => statSync(this.at(rel)).mode); }
  /** stat(2) of what `rel` leads to (a namespace's nsfs inode for ns/*). */
  stat(rel: string): HostStat { return hostStat(this.at(rel)); }

  /** The processes of the sandbox, by pid. */
  pids(): number[] {
    return this.list('').filter((n) => /^[0-9]+$/.test(n)).map(Number).sort((a, b) => a - b);
  }

  /**
   * A file description of the kernel's file itself, for files whose content
   * needs no translation: reads stay live and writes fail or succeed as the
   * kernel decides for the guest (who makes the write call).
   */
  open(rel: string, flags: number): number {
    return host(() => openSync(this.at(rel), (flags & (O.ACCMODE | O.NONBLOCK)) | O.CLOEXEC | O.NOCTTY));
  }

  close(): void { closeQuietly(this.mountFd); }
}
