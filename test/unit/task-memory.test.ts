// A task's memory is its platform's (Platform.memory): handlers read and write
// guest memory through t.mem without knowing which platform carries the calls.
import { describe, expect, it } from 'vitest';
import { rootCreds } from '../../sentry/auth/creds.js';
import { FsContext, Task, ThreadGroup } from '../../sentry/kernel/task.js';
import { type GuestMemory, type MemoryOwner } from '../../sentry/platform/memory.js';
import type { Platform } from '../../sentry/platform/platform.js';
import { rootedTree } from './fixtures.js';

/** A platform's memory over a plain buffer, recording whose memory each read was. */
class BufferMemory implements GuestMemory {
  readonly readers: number[] = [];
  constructor(private readonly owner: MemoryOwner, private readonly bytes: Uint8Array) {}
  readString(addr: number, max = 4096): string {
    this.readers.push(this.owner.tid);
    const end = this.bytes.indexOf(0, addr);
    return new TextDecoder().decode(this.bytes.subarray(addr, Math.min(end, addr + max)));
  }
  read(addr: number, len: number): Uint8Array {
    this.readers.push(this.owner.tid);
    return this.bytes.slice(addr, addr + len);
  }
  write(addr: number, data: Uint8Array): void { this.bytes.set(data, addr); }
  readPath(addr: number): string { return this.readString(addr); }
  readPaths(first: number, second: number): [string, string] { return [this.readPath(first), this.readPath(second)]; }
  readU64(addr: number): number { return Number(new DataView(this.read(addr, 8).buffer).getBigUint64(0, true)); }
  readStringArray(addr: number): string[] {
    const out: string[] = [];
    for (let p = this.readU64(addr); p !== 0; addr += 8, p = this.readU64(addr)) out.push(this.readString(p));
    return out;
  }
}

describe('guest memory', () => {
  it('is what the task\'s platform gives, following the thread\'s tid, for the task and its clones', () => {
    const { ns, root } = rootedTree();
    const bytes = new Uint8Array(64);
    bytes.set([48, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0], 16); // argv at 16: one pointer to 48, then NULL
    bytes.set(new TextEncoder().encode('/etc/passwd\0'), 32);
    bytes.set(new TextEncoder().encode('ab\0'), 48);
    const made: BufferMemory[] = [];
    const platform = { memory: (owner: MemoryOwner) => { const m = new BufferMemory(owner, bytes); made.push(m); return m; } } as
      unknown as Platform;
    const t = new Task(100, new ThreadGroup(100, 1, null), new FsContext(root, root, 0o022), rootCreds([]), ns, platform);
    expect(t.mem.readPath(32)).toBe('/etc/passwd');
    expect(t.mem.readStringArray(16)).toEqual(['ab']);
    t.tid = 101;
    t.mem.write(0, Uint8Array.of(7));
    expect(t.mem.readU64(0)).toBe(7);
    const child = t.clone(200, 2, { thread: false, shareFs: false });
    child.mem.read(0, 1);
    expect(made.map((m) => m.readers)).toEqual([[100, 100, 100, 100, 101], [200]]);
  });
});
