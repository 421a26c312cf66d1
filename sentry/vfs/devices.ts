// Device numbers, encoded as Linux's new_encode_dev, and the character
// devices a device node may lead to (Linux's chrdev registry): filesystems
// open a node's device through here, drivers (fs/dev) register at boot.
import { E, SysErr } from '../abi/errno.js';
import type { Context } from './context.js';

let nextMinor = 0x30;

export function makedev(major: number, minor: number): number {
  return (minor & 0xff) | ((major & 0xfff) << 8) | ((minor & ~0xff) << 12);
}

export function major(dev: number): number { return (dev >> 8) & 0xfff; }
export function minor(dev: number): number { return (dev & 0xff) | ((dev >> 12) & 0xfff00); }

/** A host file's identity as Inode.hostKey gives it (major:minor:ino), from a host stat of it. */
export function hostFileKey(s: { dev: number; ino: number }): string { return `${major(s.dev)}:${minor(s.dev)}:${s.ino}`; }

/** An anonymous device number (major 0), as Linux gives tmpfs, proc and overlay. */
export function allocDev(): number {
  return makedev(0, nextMinor++);
}

/** Opens a character device for `ctx`: a new host fd, the caller's. */
export type CharDevice = (flags: number, ctx: Context) => number;

const charDevices = new Map<number, CharDevice>();

export function registerCharDevice(rdev: number, open: CharDevice): void {
  charDevices.set(rdev, open);
}

/** The device behind a node's number; ENXIO for any other (no such driver here), as Linux answers. */
export function openCharDevice(rdev: number, flags: number, ctx: Context): number {
  const open = charDevices.get(rdev);
  if (!open) throw new SysErr(E.ENXIO);
  return open(flags, ctx);
}
