// Readiness of the raw sockets the library API holds (control connections,
// the memfs volumes' gofer sockets) in the caller's event loop. Node watches
// only the fds it made itself (and no SOCK_SEQPACKET socket at all), so one
// poll(2) over every watched fd runs on a libuv worker thread (koffi's
// async call): when it returns, the ready fds' handlers run on the main
// thread and the poll is made again. A pipe of our own wakes the poll when
// the set changes. One worker thread is busy while anything is watched;
// nothing is when no sandbox has a run or volume, so the loop may end.
import { closeSync, readSync, writeSync } from 'node:fs';
import { libcCalls } from '../../native/index.js';

const O_NONBLOCK = 0o4000;
const O_CLOEXEC = 0o2000000;
const POLLIN = 1;
const POLLFD_BYTES = 8;
const WAKE = new Uint8Array(1);

type Poll = { async(fds: Uint8Array, n: number, timeout: number, cb: (err: unknown, r: number) => void): void };

class Readiness {
  private readonly handlers = new Map<number, () => void>();
  private wake: [number, number] | null = null;
  private polling = false;
  /** Handlers are running: the poll is made again once they are done. */
  private dispatching = false;

  /** Calls onReady (on the main thread) whenever fd is readable or hung up, until unwatch. The handler must read what is there. */
  watch(fd: number, onReady: () => void): void {
    this.handlers.set(fd, onReady);
    this.changed();
  }

  unwatch(fd: number): void {
    if (this.handlers.delete(fd)) this.changed();
  }

  private changed(): void {
    if (this.polling) this.ring();
    else if (!this.dispatching) this.arm();
  }

  private ring(): void {
    try { writeSync(this.wakePipe()[1], WAKE); } catch { /* EAGAIN: it is ringing already */ }
  }

  private wakePipe(): [number, number] {
    if (!this.wake) {
      const p = new Int32Array(2);
      if (libcCalls.pipe2(p, O_NONBLOCK | O_CLOEXEC) < 0) throw new Error('pipe2 failed');
      this.wake = [p[0]!, p[1]!];
    }
    return this.wake;
  }

  private arm(): void {
    if (this.handlers.size === 0) {
      // Nothing to watch: the worker thread and the wake pipe go, so the event loop may end.
      if (this.wake) { closeSync(this.wake[0]); closeSync(this.wake[1]); this.wake = null; }
      return;
    }
    const fds = [this.wakePipe()[0], ...this.handlers.keys()];
    const buf = new Uint8Array(fds.length * POLLFD_BYTES);
    const view = new DataView(buf.buffer);
    fds.forEach((fd, i) => { view.setInt32(i * POLLFD_BYTES, fd, true); view.setInt16(i * POLLFD_BYTES + 4, POLLIN, true); });
    this.polling = true;
    (libcCalls.pollAsync as unknown as Poll).async(buf, fds.length, -1, (err, n) => {
      this.polling = false;
      if (err) throw err;
      this.dispatching = true;
      try {
        if (n > 0) {
          try { readSync(fds[0]!, Buffer.alloc(64)); } catch { /* EAGAIN: the set did not change */ }
          for (let i = 1; i < fds.length; i++) {
            if (view.getInt16(i * POLLFD_BYTES + 6, true) !== 0) this.handlers.get(fds[i]!)?.();
          }
        }
      } finally {
        this.dispatching = false;
      }
      this.arm();
    });
  }
}

/** The one poller of this process. */
export const readiness = new Readiness();
