// The runtime's state: one directory per container under --root, holding
// state.json (written whole, by rename), the sandbox's control socket and
// a lock file. Commands on one container take its lock (flock), so two
// commands never interleave; state and list read without it, and see a
// whole file either way. Whether the sandbox still lives is asked of the
// host (its pid and start time), so a crashed or killed sandbox reads as
// stopped.
import { closeSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { libcCalls } from '../../native/index.js';
import type { Hooks } from './config.js';
import { RuntimeError } from './errors.js';
import { hostStatFields } from '../../sentry/host/proc-stat.js';

export type Status = 'creating' | 'created' | 'running' | 'paused' | 'stopped';

export interface ContainerState {
  ociVersion: string;
  id: string;
  bundle: string;
  rootfs: string;
  created: string;
  annotations: Record<string, string>;
  /** The sandbox process: the pid engines wait for; it exits as the container's process does. */
  sandboxPid: number;
  /** Its start time (/proc/<pid>/stat field 22), so a reused pid is not taken for it. */
  sandboxStart: string;
  /** init's host pid (pid 1 of the sandbox). */
  initPid: number;
  /** The container's process's host pid, once started. */
  processPid?: number;
  hooks: Hooks;
  /** The cgroup name the sandbox's limits live under (src/cgroup.ts), if any. */
  cgroup?: string;
  /**
   * A container that joined its pod's sandbox: the sandbox container's id
   * (whose control socket serves it). Its sandboxPid is then its waiter's:
   * the process that exits as the container's first process does.
   */
  pod?: { sandboxId: string };
}

/** runc's container ids: a name in the root's directory, never a path. */
const validId = (id: string) => /^[\w+.-]+$/.test(id) && id !== '.' && id !== '..';

export class StateStore {
  constructor(readonly root: string) {}

  dir(id: string): string { return join(this.root, id); }
  controlSocket(id: string): string { return join(this.dir(id), 'sandbox.sock'); }

  /** Claims the id: fails if a container has it. */
  claim(id: string): void {
    if (!validId(id)) throw new RuntimeError(`invalid container id: ${id}`);
    mkdirSync(this.root, { recursive: true, mode: 0o711 });
    try {
      mkdirSync(this.dir(id), { mode: 0o711 });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'EEXIST') throw new RuntimeError(`container with id exists: ${id}`);
      throw e;
    }
  }

  /** Runs f with the container's lock held. */
  locked<T>(id: string, f: () => T): T {
    let fd: number;
    try {
      fd = openSync(join(this.dir(id), 'lock'), 'a');
    } catch {
      throw new RuntimeError(`container does not exist: ${id}`);
    }
    try {
      if (libcCalls.flock(fd, 2 /* LOCK_EX */) < 0) throw new RuntimeError(`cannot lock container ${id}`);
      return f();
    } finally {
      closeSync(fd);
    }
  }

  read(id: string): ContainerState {
    try {
      return JSON.parse(readFileSync(join(this.dir(id), 'state.json'), 'utf8')) as ContainerState;
    } catch {
      throw new RuntimeError(`container does not exist: ${id}`);
    }
  }

  write(s: ContainerState): void {
    const tmp = join(this.dir(s.id), `.state.${process.pid}`);
    writeFileSync(tmp, JSON.stringify(s));
    renameSync(tmp, join(this.dir(s.id), 'state.json'));
  }

  /** Removes a container's state; an id no container can have names none (`delete --force ../x` removes nothing). */
  remove(id: string): void { if (validId(id)) rmSync(this.dir(id), { recursive: true, force: true }); }

  ids(): string[] {
    try {
      return readdirSync(this.root, { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name).sort();
    } catch {
      return [];
    }
  }

  exists(id: string): boolean {
    if (!validId(id)) return false;
    try { readFileSync(join(this.dir(id), 'state.json')); return true; } catch { return false; }
  }
}

/** A process's start time, or null when it is gone or a zombie (ended, not yet reaped). */
export function startTime(pid: number): string | null {
  try {
    const fields = hostStatFields(pid);
    if (fields[0] === 'Z' || fields[0] === 'X') return null;
    return fields[19] ?? null;
  } catch {
    return null;
  }
}

export function sandboxAlive(s: ContainerState): boolean {
  return s.sandboxPid > 0 && startTime(s.sandboxPid) === s.sandboxStart;
}

/** The container's status, as runc names it. */
export function statusOf(s: ContainerState, frozen: () => boolean): Status {
  if (!sandboxAlive(s)) return 'stopped';
  if (s.processPid === undefined) return 'created';
  return frozen() ? 'paused' : 'running';
}
