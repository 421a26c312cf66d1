// Calls the sentry answers without a filesystem: features a sandbox does
// not give, and ioctls outside the terminal set the filter lets through
// (of those, only FIGETBSZ asks the file).
import { E, SysErr } from '../abi/errno.js';
import { entry, type Handler, type SyscallFamily } from '../kernel/syscalls.js';

/** Denied as Linux denies a process without the capability (or, for ENOSYS, without the feature). */
const refuse = (errno: number): Handler => () => { throw new SysErr(errno); };
const denied = (errno: number) => entry(['hex', 'hex', 'hex'], refuse(errno));

const TIOCSTI = 0x5412;
const TIOCLINUX = 0x541c;
const FIGETBSZ = 0x2;

export const miscFamily: SyscallFamily = {
  // The filter passes the terminal ioctls; anything else reaches here.
  ioctl: entry(['fd', 'hex', 'ptr'], (t, a, k) => {
    // EBADF first, as Linux: no such fd, or an O_PATH one.
    const d = k.files.lookupOpen(t, a.int(0));
    const req = a.uint(1);
    if (req === TIOCSTI || req === TIOCLINUX) throw new SysErr(E.EPERM);
    if (req === FIGETBSZ && d) {
      // The filesystem's block size, which is what st_blksize says of its files.
      const out = new Uint8Array(4);
      new DataView(out.buffer).setInt32(0, d.at.inode.statOpen(d.hostFd).blksize, true);
      t.mem.write(a.ptr(2), out);
      return 0;
    }
    throw new SysErr(E.ENOTTY);
  }),
  // glibc falls back to clone, whose flags the filter can check.
  clone3: denied(E.ENOSYS),
  ptrace: denied(E.EPERM),
  process_vm_readv: denied(E.EPERM),
  process_vm_writev: denied(E.EPERM),
  pidfd_getfd: denied(E.EPERM),
  open_by_handle_at: denied(E.EPERM),
  name_to_handle_at: denied(E.EOPNOTSUPP),
  unshare: denied(E.EPERM),
  setns: denied(E.EPERM),
  syslog: denied(E.EPERM),
  acct: denied(E.EPERM),
  swapon: denied(E.EPERM),
  swapoff: denied(E.EPERM),
  reboot: denied(E.EPERM),
  sethostname: denied(E.EPERM),
  setdomainname: denied(E.EPERM),
  iopl: denied(E.EPERM),
  ioperm: denied(E.EPERM),
  init_module: denied(E.EPERM),
  finit_module: denied(E.EPERM),
  delete_module: denied(E.EPERM),
  vhangup: denied(E.EPERM),
  settimeofday: denied(E.EPERM),
  clock_settime: denied(E.EPERM),
  adjtimex: denied(E.EPERM),
  clock_adjtime: denied(E.EPERM),
  kexec_load: denied(E.ENOSYS),
  kexec_file_load: denied(E.ENOSYS),
  bpf: denied(E.ENOSYS),
  perf_event_open: denied(E.ENOSYS),
  userfaultfd: denied(E.ENOSYS),
  io_uring_setup: denied(E.ENOSYS),
  io_uring_enter: denied(E.ENOSYS),
  io_uring_register: denied(E.ENOSYS),
  keyctl: denied(E.ENOSYS),
  add_key: denied(E.ENOSYS),
  request_key: denied(E.ENOSYS),
  fanotify_init: denied(E.ENOSYS),
  lookup_dcookie: denied(E.ENOSYS),
  quotactl: denied(E.ENOSYS),
  quotactl_fd: denied(E.ENOSYS),
  move_pages: denied(E.EPERM),
  migrate_pages: denied(E.EPERM),
};
