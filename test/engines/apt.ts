// Engines under test come from Debian's archive, installed on demand: a test
// needing docker.io installs it (once, whoever asks first) instead of assuming
// the machine has it. Installs are serialised with flock, since apt/dpkg allow
// one writer and test files or helpers may ask at the same time.
import { spawnSync } from 'node:child_process';

export type Install = { ok: true } | { ok: false; reason: string };

const LOCK = '/var/lock/tvisor-engines-apt.lock';

export function installed(pkg: string): boolean {
  const q = spawnSync('dpkg-query', ['-W', '-f=${Status}', pkg], { encoding: 'utf8' });
  return q.status === 0 && q.stdout.trim() === 'install ok installed';
}

function aptGet(args: string[]): { ok: boolean; out: string } {
  const r = spawnSync('flock', [LOCK, 'apt-get', ...args], {
    encoding: 'utf8',
    env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
    maxBuffer: 64 << 20,
  });
  return { ok: r.status === 0, out: `${r.stdout ?? ''}${r.stderr ?? ''}${r.error ? String(r.error) : ''}` };
}

/**
 * Installs the packages that are missing. A failure is reported, not thrown:
 * the caller skips its tests and must say loudly that apt could not install.
 * A first failure is retried once after `apt-get update` (a fresh machine has
 * no package lists).
 */
export function ensurePackages(pkgs: string[]): Install {
  const missing = pkgs.filter((p) => !installed(p));
  if (missing.length === 0) return { ok: true };
  const install = ['install', '-y', ...missing];
  let r = aptGet(install);
  if (!r.ok) {
    const update = aptGet(['update']);
    if (!update.ok) return { ok: false, reason: `apt-get update failed: ${tail(update.out)}` };
    r = aptGet(install);
  }
  if (!r.ok) return { ok: false, reason: `apt-get install -y ${missing.join(' ')} failed: ${tail(r.out)}` };
  const still = missing.filter((p) => !installed(p));
  return still.length ? { ok: false, reason: `apt-get reported success but ${still.join(' ')} not installed` } : { ok: true };
}

const tail = (s: string) => s.trim().split('\n').slice(-5).join(' | ');
