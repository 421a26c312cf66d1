// How a new descriptor goes into a notified task, chosen by what each way
// costs on this machine, as measured while the sentry runs.
//
// NOTIF_ADDFD makes the task install the descriptor itself: the sentry wakes
// it and waits for it. Where that wake-up lands decides the cost, and which
// way wins depends on the machine: on one VM waking the other, idle vCPU cost
// tens of µs and holding the task and the sentry to one CPU for the install
// (four affinity calls) made an open+close 3x cheaper; on another, whose
// syscalls and context switches cost more and idle wake-ups less, the direct
// ADDFD with its SEND flag cost 0.6x the held one (bench/platforms.c), though
// a listing (an open, then three more trapped calls) went faster held. So
// both are timed as the sandbox runs, and the cheaper is used.
import { performance } from 'node:perf_hooks';

/**
 * A trial runs blocks of BLOCK installs each way, alternated, BLOCKS of
 * each, so that the machine's load and the guests' work fall on both alike.
 */
const BLOCK = 16;
const BLOCKS = 2;
/**
 * How many installs then take the way that did better, before the next
 * trial: at first FIRST_USE, doubled (up to LAST_USE) each time a trial
 * chooses as the one before did, so that a choice made while the sandbox was
 * starting is soon tried again.
 */
const FIRST_USE = 128;
const LAST_USE = 4096;
/** How much less the other way must cost in a trial to be taken. */
const MARGIN = 0.1;

/** The two ways: direct (ADDFD with SEND), held (to this CPU, then NOTIF_SEND). */
const DIRECT = 0, HELD = 1;

/**
 * What a way costs is what it makes the next call wait, not the install's
 * own time: a held install is longer (its affinity calls), after which the
 * task is on this CPU, and a direct one returns as soon as the task, woken
 * wherever the scheduler put it, has installed the descriptor. So a trial
 * times the interval from each install to the next, within a block of one way.
 */
export class FdInstallChooser {
  /** The trial's intervals (ms), of each way. */
  private readonly times: [number[], number[]] = [[], []];
  private best = HELD;
  private useFor = FIRST_USE;
  /** Installs left before the next trial. */
  private untilTrial = 0;
  /** Installs made in the trial so far, and when the last one ended (ms; NaN after an untimed one). */
  private inTrial = 0;
  private lastEnd = 0;

  /** `now`: a clock in ms (a test's own). */
  constructor(private readonly now: () => number = () => performance.now()) {}

  /**
   * Runs `install(hold)` the way that costs less here. `timed` false: an
   * install an exec's injected call makes, which the program's start follows,
   * not the next trapped call: the way chosen, and neither its interval nor
   * the next counts in a trial.
   */
  install<T>(install: (hold: boolean) => T, timed = true): T {
    if (!timed) {
      this.lastEnd = NaN;
      return install(this.best === HELD);
    }
    if (this.untilTrial > 0) {
      this.untilTrial--;
      return install(this.best === HELD);
    }
    const way = Math.floor(this.inTrial / BLOCK) % 2;
    const out = install(way === HELD);
    const end = this.now();
    // The first of a block follows an install of the other way; NaN: an untimed one came between.
    if (this.inTrial % BLOCK !== 0 && !Number.isNaN(this.lastEnd)) this.times[way].push(end - this.lastEnd);
    this.lastEnd = end;
    if (++this.inTrial === 2 * BLOCK * BLOCKS) this.decide();
    return out;
  }

  private decide(): void {
    const mine = typical(this.times[this.best]);
    const other = typical(this.times[1 - this.best]);
    // A difference within the machine's noise keeps the way: switching back and forth costs trials.
    const best = other < mine * (1 - MARGIN) ? 1 - this.best : this.best;
    this.useFor = best === this.best ? Math.min(2 * this.useFor, LAST_USE) : FIRST_USE;
    this.best = best;
    this.times[DIRECT] = [];
    this.times[HELD] = [];
    this.inTrial = 0;
    this.untilTrial = this.useFor;
  }
}

/** The mean without the longest eighth: a sweep or a collection that fell in one way's block says nothing of it. */
function typical(xs: number[]): number {
  const kept = [...xs].sort((a, b) => a - b).slice(0, xs.length - (xs.length >> 3));
  return kept.reduce((a, b) => a + b, 0) / kept.length;
}
