// The quick benchmark's verdict on a change: this run's ratios beside the
// committed ones (bench/results/), row by row. Noisy VMs make it a hint.

export interface RowSummary {
  unit: string;
  tvisorToNative: number;
  tvisorToRunsc: number | null;
  traps: number | null;
}

export interface Machine { cpus: number; model: string }

export interface Results { date: string; machine?: Machine; summary: Record<string, RowSummary> }

/** A ratio this much worse than the committed one is called out. */
export const WORSE = 1.25;

/** A figure as the tables show it. */
export const fmt = (x: number | null | undefined) => x === undefined || x === null || Number.isNaN(x) ? '-' : x >= 100 ? x.toFixed(0) : x.toFixed(2);

/**
 * This run's ratios beside the committed ones, row by row. The ratio to
 * runsc (to native where runsc is absent) is the figure compared: both sides
 * of it ran in this run, so it holds when the machine's speed drifts.
 */
export function compare(before: Results, now: Record<string, RowSummary>, machine?: Machine): string {
  const lines = [`compared with the committed results of ${before.date}:`];
  // Another kind of machine moves native's, runsc's and tvisor's costs apart (a syscall, a wake-up): not a change of tvisor's.
  const other = before.machine && machine && (before.machine.model !== machine.model || before.machine.cpus !== machine.cpus);
  if (other) {
    lines.push(`(made on another machine, ${before.machine!.cpus} × ${before.machine!.model}, not this ${machine!.cpus} × ` +
      `${machine!.model}: the ratios are not comparable; a baseline is the committed build run here)`);
  }
  lines.push('| workload | tvisor/native then → now | tvisor/runsc then → now | |', '|---|---|---|---|');
  for (const [row, s] of Object.entries(now)) {
    const then = before.summary[row];
    if (!then) continue;
    const [a, b] = s.tvisorToRunsc !== null && then.tvisorToRunsc !== null
      ? [then.tvisorToRunsc, s.tvisorToRunsc] : [then.tvisorToNative, s.tvisorToNative];
    const verdict = other ? '' : b / a > WORSE ? `slower (${fmt(b / a)}×)` : b / a < 1 / WORSE ? `faster (${fmt(b / a)}×)` : '';
    lines.push(`| ${row} | ${fmt(then.tvisorToNative)}× → ${fmt(s.tvisorToNative)}× | ` +
      `${fmt(then.tvisorToRunsc)}× → ${fmt(s.tvisorToRunsc)}× | ${verdict} |`);
  }
  return lines.join('\n');
}

