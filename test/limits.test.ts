// The sandbox's resource limits (issue 14): a guest that exhausts one gets
// Linux's errno or is killed inside the sandbox, and the host and the
// sentry are unaffected.
import { describe, expect, it } from 'vitest';
import { sandboxSh } from './helpers.js';

describe('mount limit', () => {
  it('refuses an rbind past fs.mount-max (100 000) with ENOSPC, whole, and keeps serving', () => {
    // Each rbind of / doubles the mount count: 6 mounts at the start, 98 304 after 14 steps; the 15th would pass the limit.
    const r = sandboxSh('for i in $(seq 1 25); do mkdir -p /tmp/m$i; ' +
      'mount --rbind / /tmp/m$i 2>/dev/null || { echo "step $i refused"; break; }; done; ' +
      'wc -l < /proc/mounts; mkdir /tmp/x && mount -t tmpfs none /tmp/x && echo mounted && wc -l < /proc/mounts; ' +
      'umount -l /tmp/m14 && wc -l < /proc/mounts && mount --rbind /tmp/m1 /tmp/m15 && wc -l < /proc/mounts', { timeoutMs: 120_000 });
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('step 15 refused\n98304\nmounted\n98305\n49153\n49159\n');
  });
});
