// Device numbers of the sentry's filesystems, encoded as Linux's new_encode_dev.

let nextMinor = 0x30;

export function makedev(major: number, minor: number): number {
  return (minor & 0xff) | ((major & 0xfff) << 8) | ((minor & ~0xff) << 12);
}

export function major(dev: number): number { return (dev >> 8) & 0xfff; }
export function minor(dev: number): number { return (dev & 0xff) | ((dev >> 12) & 0xfff00); }

/** An anonymous device number (major 0), as Linux gives tmpfs, proc and overlay. */
export function allocDev(): number {
  return makedev(0, nextMinor++);
}
