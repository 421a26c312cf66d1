// npm run soak [-- --duration SECONDS --sandboxes N --kill-every SECONDS]
// Runs the soak (test/soak/soak.ts) and prints what it found; exit 1 on a problem.
import { soak } from './soak.js';

function option(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  if (i < 0) return fallback;
  const v = Number(process.argv[i + 1]);
  if (!Number.isFinite(v) || v <= 0) throw new Error(`--${name} takes a positive number`);
  return v;
}

const opts = {
  sandboxes: option('sandboxes', 20),
  durationMs: option('duration', 180) * 1000,
  killEveryMs: option('kill-every', 5) * 1000,
};
const t0 = Date.now();
console.log(`soak: ${opts.sandboxes} sandboxes for ${opts.durationMs / 1000} s, a kill every ${opts.killEveryMs / 1000} s on average`);
const report = await soak({ ...opts, log: (l) => console.log(`[${((Date.now() - t0) / 1000).toFixed(1)}s] ${l}`) });
console.log(JSON.stringify({ ...report, problems: report.problems.length }, null, 2));
for (const p of report.problems) console.log(`problem: ${p}`);
process.exit(report.problems.length ? 1 : 0);
