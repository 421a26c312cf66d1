// A trapped call for --strace (and the library API's onSyscall): its name
// and decoded arguments (read from the guest as the call was made); the
// kernel logs it with its result, as fields and as one line.
import type { Task } from '../kernel/task.js';
import type { TrapEvent } from '../platform/platform.js';
import { SYSCALL_NAMES } from './numbers.js';
import type { ArgFormat, SyscallEntry, TracedCall } from '../kernel/syscalls.js';
import { nameText } from '../abi/names.js';

function formatArg(t: Task, a: TrapEvent, i: number, f: ArgFormat): string {
  switch (f) {
    case 'int': return String(a.long(i));
    case 'fd': { const fd = a.int(i); return fd === -100 ? 'AT_FDCWD' : String(fd); }
    case 'oct': return '0' + a.uint(i).toString(8);
    case 'hex': case 'flags': return '0x' + a.uint(i).toString(16);
    case 'ptr': return '0x' + a.ptr(i).toString(16);
    case 'path': case 'str':
      // Shown as text: the bytes read as UTF-8 (abi/names.ts).
      try { return JSON.stringify(nameText(t.mem.readString(a.ptr(i), 256))); } catch { return `0x${a.ptr(i).toString(16)}`; }
  }
}

export function formatCall(t: Task, a: TrapEvent, entry: SyscallEntry | undefined): TracedCall {
  const name = SYSCALL_NAMES[a.nr] ?? `syscall_${a.nr}`;
  const args = entry ? entry.args.map((f, i) => formatArg(t, a, i, f)) : [0, 1, 2].map((i) => '0x' + a.ptr(i).toString(16));
  return { name, args };
}
