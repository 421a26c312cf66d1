// The wall clock with nanoseconds, for the times the sentry's own filesystems keep.
import type { Timespec } from '../abi/stat.js';

export function now(): Timespec {
  const ns = process.hrtime.bigint() + clockOffsetNs;
  return { sec: Number(ns / 1_000_000_000n), nsec: Number(ns % 1_000_000_000n) };
}
// hrtime is monotonic; anchor it to the wall clock once.
const clockOffsetNs = BigInt(Date.now()) * 1_000_000n - process.hrtime.bigint();
