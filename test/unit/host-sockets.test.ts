// Host unix sockets and mount options as the OCI runtime meets them under engines:
// state roots deeper than sun_path allows, podman's tmpcopyup tmpfs mounts.
import { closeSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { bindUnix, connectUnix } from '../../sentry/host/sockets.js';
import { libcCalls } from '../../sentry/host/native.js';
import { MountOptionError, parseMountOptions } from '../../sentry/vfs/mountopts.js';

const SOCK_SEQPACKET_CLOEXEC = 5 | 0o2000000;

describe('host unix socket paths', () => {
  it('binds, listens and connects at a path longer than sun_path (through its directory\'s fd)', () => {
    const top = mkdtempSync(join(tmpdir(), 'tvisor-longsock-'));
    try {
      const dir = join(top, 'x'.repeat(60), 'y'.repeat(64));
      mkdirSync(dir, { recursive: true });
      const path = join(dir, 'sandbox.sock');
      expect(Buffer.byteLength(path)).toBeGreaterThan(108);
      const server = libcCalls.socket(1, SOCK_SEQPACKET_CLOEXEC, 0);
      const client = libcCalls.socket(1, SOCK_SEQPACKET_CLOEXEC, 0);
      try {
        bindUnix(server, path);
        expect(libcCalls.listen(server, 1)).toBe(0);
        expect(() => connectUnix(client, path)).not.toThrow();
      } finally {
        closeSync(server);
        closeSync(client);
      }
    } finally {
      rmSync(top, { recursive: true, force: true });
    }
  });
});

describe('mount options', () => {
  it('takes tmpcopyup for a tmpfs (podman --read-only) and refuses it elsewhere', () => {
    const o = parseMountOptions('tmpfs', ['rw', 'rprivate', 'nosuid', 'nodev', 'tmpcopyup']);
    expect(o.copyUp).toBe(true);
    expect(o.data).toBe('');
    expect(parseMountOptions('tmpfs', ['size=1m']).copyUp).toBe(false);
    expect(() => parseMountOptions('bind', ['tmpcopyup'])).toThrow(MountOptionError);
  });
});
