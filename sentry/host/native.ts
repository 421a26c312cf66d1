// The C glue as the sentry uses it: native/index.ts's bindings, and their
// failures turned into SysErr values.
import koffi from '../../native/koffi.js';
import { SysErr } from '../abi/errno.js';

export { decodeStat, EV, EVENT_SLOTS, type HostStat, ioprio, libcCalls, native, repoFile, SLOT, STAT_SIZE } from '../../native/index.js';

/** Result of a tv_* call (negative errno on failure). */
export function tv(ret: number): number {
  if (ret < 0) throw new SysErr(-ret);
  return ret;
}

/** Result of a libc call (-1 and errno on failure). */
export function sys(ret: number): number {
  if (ret === -1) throw new SysErr(koffi.errno());
  return ret;
}
