// `npm run bench:api`: what the library API costs, against `tvisor do`.
// Rows (medians of several repetitions, wall-clock ms): `tvisor do -- /bin/true`
// as a command; Sandbox.create + a run of /bin/true + close in a program that
// is already running; and, in a live sandbox, a first run against a later one.
// It measures; it never fails a build.
import { spawnSync } from 'node:child_process';
import { repoFile } from '../native/index.js';
import { Sandbox } from '../src/api/index.js';

const reps = Number(process.argv[2] ?? 7);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const limits = { memory: 0, pids: 0 };

async function time(fn: () => Promise<unknown> | unknown): Promise<number> {
  const t = performance.now();
  await fn();
  return performance.now() - t;
}

const rows: Record<string, number[]> = { do: [], api: [], 'api create': [], 'first run': [], 'later run': [] };
for (let i = 0; i < reps; i++) {
  rows.do!.push(await time(() => spawnSync(repoFile('bin/tvisor'), ['do', '--memory=0', '--pids=0', '--', '/bin/true'])));
  rows.api!.push(await time(async () => {
    const sb = await Sandbox.create({ limits });
    await sb.exec(['/bin/true']);
    await sb.close();
  }));
  let sb!: Sandbox;
  rows['api create']!.push(await time(async () => { sb = await Sandbox.create({ limits }); }));
  rows['first run']!.push(await time(() => sb.exec(['/bin/true'])));
  const later: number[] = [];
  for (let j = 0; j < 5; j++) later.push(await time(() => sb.exec(['/bin/true'])));
  rows['later run']!.push(median(later));
  await sb.close();
}
const m = Object.fromEntries(Object.entries(rows).map(([k, v]) => [k, median(v)]));
const lines = [
  `tvisor do -- /bin/true (a command)                    ${m.do!.toFixed(1)} ms`,
  `API: create + run /bin/true + close (in a program)     ${m.api!.toFixed(1)} ms  (${(m.api! / m.do!).toFixed(2)} of do)`,
  `API: create                                           ${m['api create']!.toFixed(1)} ms`,
  `API: first run of /bin/true                           ${m['first run']!.toFixed(1)} ms`,
  `API: later run of /bin/true in the live sandbox       ${m['later run']!.toFixed(1)} ms  ` +
    `(${(m['later run']! / (m['api create']! + m['first run']!)).toFixed(3)} of create + first run, ` +
    `${(m['later run']! / m['first run']!).toFixed(2)} of the first run)`,
];
console.log(`medians of ${reps}\n${lines.join('\n')}`);
