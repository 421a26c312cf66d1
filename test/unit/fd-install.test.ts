// The choice between the two ways of installing a descriptor (platform/fd-install.ts), on a clock the test drives:
// each install moves it by what the way it was asked for costs.
import { describe, expect, it } from 'vitest';
import { FdInstallChooser } from '../../sentry/platform/fd-install.js';

/** Runs `n` installs; `cost(held, i)` is what the i-th costs (ms). Returns how many went each way. */
function run(n: number, cost: (held: boolean, i: number) => number): { held: number; direct: number; heldAfter: (i: number) => number } {
  let clock = 0;
  const chooser = new FdInstallChooser(() => clock);
  const ways: boolean[] = [];
  for (let i = 0; i < n; i++) {
    chooser.install((hold) => {
      clock += cost(hold, i);
      ways.push(hold);
      return 3;
    });
  }
  const held = ways.filter(Boolean).length;
  return { held, direct: n - held, heldAfter: (from) => ways.slice(from).filter(Boolean).length };
}

describe('FdInstallChooser', () => {
  it('takes the way that makes the next call wait less, and tries the other now and then', () => {
    const directCheaper = run(20_000, (held) => (held ? 0.06 : 0.03));
    expect(directCheaper.direct).toBeGreaterThan(19_000);
    expect(directCheaper.held).toBeGreaterThan(0);
    const heldCheaper = run(20_000, (held) => (held ? 0.02 : 0.07));
    expect(heldCheaper.held).toBeGreaterThan(19_000);
  });

  it('follows a change of the machine: what it chose while starting is tried again soon', () => {
    // Held is cheaper for the first 200 installs (a sandbox starting), direct after.
    const r = run(20_000, (held, i) => (i < 200 ? (held ? 0.1 : 0.5) : held ? 0.06 : 0.03));
    expect(r.heldAfter(1_000)).toBeLessThan(600);
  });

  it('leaves an exec\'s installs out of its trials: what follows them is the new program\'s start', () => {
    // Every fourth install is an exec's (untimed), followed by 5 ms of the program starting; direct is cheaper.
    let clock = 0;
    const chooser = new FdInstallChooser(() => clock);
    let held = 0;
    for (let i = 0; i < 20_000; i++) {
      const exec = i % 4 === 0;
      chooser.install((hold) => {
        clock += (hold ? 0.06 : 0.03) + (exec ? 5 : 0);
        if (hold && i >= 1_000) held++;
        return 3;
      }, !exec);
    }
    expect(held).toBeLessThan(1_000);
  });

  it('passes the install\'s result through', () => {
    const chooser = new FdInstallChooser(() => 0);
    expect(chooser.install(() => 42)).toBe(42);
  });
});
