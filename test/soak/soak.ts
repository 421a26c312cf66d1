// The soak: many sandboxes at once, each running a mixed workload (untar,
// cc, pipelines, threads, writes to a -v bind) in a loop, while a killer
// sends SIGKILL to random guests, gofers and sentries. Invariants checked:
//   - data: every file a guest wrote, closed and journaled on its -v bind
//     before any kill is on the host, whole;
//   - tracing: every process of a live sandbox (init and its descendants) is
//     traced by its sentry, and none of them outlives its sandbox;
//   - host state: nothing of any sandbox is left in /dev/shm once the next
//     sandbox has started (it cleans what a killed one left), nor in /tmp;
//   - a sandbox nobody killed anything of runs its workload without an error.
// `npm run soak` runs it for minutes (test/soak/run.ts); test/soak.test.ts
// runs a small one inside `npm test`.
import { type ChildProcess, execFileSync, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoFile } from '../../native/index.js';
import { children, cmdline, descendants } from '../../src/proctree.js';

export interface SoakOptions {
  /** Sandboxes running at once. */
  sandboxes: number;
  /** How long new sandboxes keep being started. */
  durationMs: number;
  /**
   * And until this many files are journaled in all (so that the checks have
   * matter however slow the machine is; no deadline bounds it).
   */
  minFiles?: number;
  /** Mean time between two kills. */
  killEveryMs: number;
  /** Where the soak's files go (a directory of its own is made inside). */
  tmp?: string;
  log?: (line: string) => void;
}

export interface SoakReport {
  sandboxes: number;
  kills: { guest: number; gofer: number; sentry: number };
  /** Files written, closed and journaled, all found whole on the host. */
  filesChecked: number;
  /** Processes seen (and checked to be traced) across all sandboxes. */
  processesSeen: number;
  problems: string[];
}

type Victim = 'guest' | 'gofer' | 'sentry';

/** One sandbox of the soak and what was seen of it. */
interface Sandbox {
  id: number;
  dir: string;
  cli: ChildProcess;
  ended: Promise<void>;
  done: boolean;
  stderr: string;
  status: number | null;
  sentry?: number;
  gofer?: number;
  /** pid → start time of every process seen below the sentry (the gofer's too). */
  seen: Map<number, string>;
  sentryPids: Set<number>;
  killed: Victim[];
}

// The workload: each turn writes a file (written, closed, renamed, journaled), then runs one step.
const WORKLOAD = `
i=0
while [ ! -e /data/stop ]; do
  i=$((i+1))
  # One process writes the file: a killed writer breaks the chain (a pipeline's status is its last command's).
  awk -v i=$i 'BEGIN { for (k = 1; k <= 300; k++) print i, k }' > /data/f.$i.tmp && mv /data/f.$i.tmp /data/f.$i && echo $i >> /data/journal
  case $((i % 4)) in
  1) [ "$(seq 1 3000 | grep 7 | sort -r | head -n 3 | tr 7 x | wc -l)" = 3 ] || echo "pipeline failed" >&2 ;;
  2) cd /tmp && rm -rf x && mkdir x && tar xzf /soak/src.tgz -C x && n=$(find x -type f | wc -l) && [ "$n" = 100 ] || echo "untar gave $n files" >&2 ;;
  3) cd /tmp && /soak/threads > /dev/null || echo "threads failed" >&2 ;;
  0) cd /tmp && printf '#include <stdio.h>\\nint main(void){printf("%%d\\\\n", 6*7);return 0;}\\n' > c.c && cc -o c c.c && [ "$(./c)" = 42 ] || echo "cc failed" >&2 ;;
  esac
done
`;

const expectedFile = (i: number) => Array.from({ length: 300 }, (_, k) => `${i} ${k + 1}\n`).join('');

/** State and start time of a process (fields 3 and 22 of its stat), or null once it is gone. */
function stat(pid: number): { state: string; start: string } | null {
  try {
    const s = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = s.slice(s.lastIndexOf(')') + 2).split(' ');
    return { state: f[0]!, start: f[19]! };
  } catch {
    return null;
  }
}
function tracer(pid: number): number | null {
  try { return Number(/^TracerPid:\s*(\d+)/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]); } catch { return null; }
}
/** Whether `pid` exists and has not exited (a zombie, or a dead task not yet reaped, has). */
const running = (pid: number) => { const st = stat(pid)?.state; return st !== undefined && st !== 'Z' && st !== 'X'; };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const alive = (pid: number, start: string) => { const s = stat(pid); return s !== null && s.start === start && s.state !== 'Z'; };

export async function soak(o: SoakOptions): Promise<SoakReport> {
  const log = o.log ?? (() => {});
  const work = mkdtempSync(join(o.tmp ?? '/tmp', 'tvisor-soak-'));
  const report: SoakReport = { sandboxes: 0, kills: { guest: 0, gofer: 0, sentry: 0 }, filesChecked: 0, processesSeen: 0, problems: [] };
  const problem = (s: string) => { report.problems.push(s); log(`PROBLEM ${s}`); };
  const all: Sandbox[] = [];
  const live = new Set<Sandbox>();
  try {
    // What every sandbox reads (read-only): a tarball, the workload, a threaded program.
    const soakDir = join(work, 'soak');
    mkdirSync(join(soakDir, 'src', 'a', 'b'), { recursive: true });
    for (let i = 0; i < 100; i++) writeFileSync(join(soakDir, 'src', 'a', i % 2 ? 'b' : '', `f${i}`), `${i}\n`.repeat(i));
    execFileSync('tar', ['czf', join(soakDir, 'src.tgz'), '-C', soakDir, 'src']);
    rmSync(join(soakDir, 'src'), { recursive: true });
    writeFileSync(join(soakDir, 'workload.sh'), WORKLOAD);
    execFileSync('cc', ['-O1', '-pthread', '-o', join(soakDir, 'threads'), repoFile('test/c/threads.c')]);

    const start = (id: number): Sandbox => {
      const dir = join(work, `sandbox-${id}`);
      mkdirSync(dir);
      const cli = spawn(process.execPath, [repoFile('bin/tvisor.js'), 'do', '-v', `${dir}:/data`, '-v', `${soakDir}:/soak:ro`,
        '--', '/bin/sh', '/soak/workload.sh'], { stdio: ['ignore', 'ignore', 'pipe'] });
      const s: Sandbox = { id, dir, cli, ended: Promise.resolve(), done: false, stderr: '', status: null, seen: new Map(),
        sentryPids: new Set(), killed: [] };
      cli.stderr!.on('data', (b: Buffer) => { s.stderr += b.toString(); });
      s.ended = new Promise((r) => cli.on('exit', (code) => { s.status = code; s.done = true; r(); }));
      report.sandboxes++;
      all.push(s);
      live.add(s);
      return s;
    };

    /** Finds the sentry and gofer; records every process below the sentry and checks each guest is traced by it. */
    const sample = (s: Sandbox) => {
      if (s.done || s.killed.includes('sentry')) return;
      // `tvisor do`'s command line is the sandbox process.
      const sentry = s.cli.pid!;
      s.sentry = sentry;
      s.sentryPids.add(sentry);
      const kids = children(sentry);
      s.gofer ??= kids.find((p) => cmdline(p).includes('gofer/main.js'));
      for (const pid of descendants(sentry)) {
        const st = stat(pid);
        if (!st || st.state === 'Z' || st.state === 'X') continue;
        if (!s.seen.has(pid)) { s.seen.set(pid, st.start); report.processesSeen++; }
        if (pid === s.gofer || kids.includes(pid) && cmdline(pid).includes('gofer/main.js')) continue;
        // init waits, blocked, to be seized before it does anything (tv_spawn); it forks the command only then.
        if (kids.includes(pid) && children(pid).length === 0) continue;
        // A guest (init or below) must be traced by its sentry, unless it is dying with it. A sentry that exits
        // (its gofer was killed, say) detaches its guests as it becomes a zombie (exit_ptrace, PTRACE_O_EXITKILL
        // kills them), and init stays alive, untraced, until its pid namespace is emptied: so the sentry's state
        // is read after the tracer, and a sentry that is no longer running explains an untraced guest.
        const t = tracer(pid);
        if (t !== null && t !== sentry && stat(pid)?.state !== 'Z' && running(sentry) && !s.done) {
          problem(`sandbox ${s.id}: process ${pid} (${cmdline(pid).replace(/\0/g, ' ').trim()}) traced by ${t}, not by its sentry ${sentry}`);
        }
      }
    };

    const journaled = (s: Sandbox) => {
      try { return readFileSync(join(s.dir, 'journal'), 'utf8').split('\n').length - 1; } catch { return 0; }
    };
    const killOne = () => {
      // Mostly sandboxes in their workload (their files are what the checks are about), some starting.
      const started = [...live].filter((s) => !s.done && s.sentry);
      const working = started.filter((s) => journaled(s) > 0);
      const candidates = working.length > 0 && Math.random() < 0.7 ? working : started;
      if (candidates.length === 0) return;
      const s = candidates[Math.floor(Math.random() * candidates.length)]!;
      const r = Math.random();
      const victim: Victim = r < 0.6 ? 'guest' : r < 0.8 ? 'gofer' : 'sentry';
      let pid: number | undefined;
      if (victim === 'sentry') pid = s.sentry;
      else if (victim === 'gofer') pid = s.gofer;
      else {
        const init = children(s.sentry!).find((p) => p !== s.gofer);
        const guests = init ? [init, ...descendants(init)] : [];
        pid = guests[Math.floor(Math.random() * guests.length)];
      }
      if (!pid) return;
      try { process.kill(pid, 'SIGKILL'); } catch { return; }
      s.killed.push(victim);
      report.kills[victim]++;
      log(`killed the ${victim} of sandbox ${s.id} (pid ${pid})`);
    };

    /** After a sandbox ended: its processes are gone (bound: a hang, not a measure), its files are whole. */
    const check = async (s: Sandbox) => {
      live.delete(s);
      for (let waited = 0; ; waited += 100) {
        const left = [...s.seen].filter(([pid, st]) => alive(pid, st));
        if (left.length === 0) break;
        if (waited > 120_000) {
          problem(`sandbox ${s.id}: processes left after it ended: ${left.map(([p]) => `${p} ${cmdline(p).replace(/\0/g, ' ')}`).join(', ')}`);
          for (const [p] of left) { try { process.kill(p, 'SIGKILL'); } catch { /* gone */ } }
          break;
        }
        await sleep(100);
      }
      const journal = existsSync(join(s.dir, 'journal')) ? readFileSync(join(s.dir, 'journal'), 'utf8') : '';
      for (const line of journal.split('\n').slice(0, -1)) {
        const i = Number(line);
        const f = join(s.dir, `f.${i}`);
        if (!existsSync(f)) problem(`sandbox ${s.id}: f.${i} journaled but missing`);
        else if (readFileSync(f, 'utf8') !== expectedFile(i)) problem(`sandbox ${s.id}: f.${i} journaled but not whole`);
        else report.filesChecked++;
      }
      if (s.killed.length === 0) {
        if (s.status !== 0 || s.stderr !== '') problem(`sandbox ${s.id}: nothing killed, yet status ${s.status}, stderr ${JSON.stringify(s.stderr.slice(0, 500))}`);
      }
      const said = s.stderr.trim().split('\n')[0]?.slice(0, 160) ?? '';
      log(`sandbox ${s.id} ended (status ${s.status}, killed: ${s.killed.join(',') || 'nothing'}, ${journal.split('\n').length - 1} files)${said ? `: ${said}` : ''}`);
    };

    const deadline = Date.now() + o.durationMs;
    let next = 0;
    let stopping = false;
    const slots = Array.from({ length: o.sandboxes }, async () => {
      while (!stopping) {
        const s = start(next++);
        await s.ended;
        await check(s);
      }
    });
    // The killer and the sampler, until every slot is done.
    let slotsDone = false;
    const finished = Promise.all(slots).then(() => { slotsDone = true; });
    let nextKill = Date.now() + o.killEveryMs * (0.5 + Math.random());
    while (!slotsDone) {
      for (const s of live) sample(s);
      const now = Date.now();
      if (now >= deadline && !stopping && report.filesChecked + [...live].reduce((n, s) => n + journaled(s), 0) >= (o.minFiles ?? 0)) {
        // Time is up: the workloads stop at their next turn.
        stopping = true;
        for (const s of live) writeFileSync(join(s.dir, 'stop'), '');
      }
      if (stopping) for (const s of live) if (!existsSync(join(s.dir, 'stop'))) writeFileSync(join(s.dir, 'stop'), '');
      if (!stopping && now >= nextKill) {
        killOne();
        nextKill = now + o.killEveryMs * (0.5 + Math.random());
      }
      await sleep(100);
    }
    await finished;

    // The next sandbox cleans what the killed ones left; then nothing of any of them may remain.
    const next2 = spawnSync(process.execPath, [repoFile('bin/tvisor.js'), 'do', '--', 'true'], { encoding: 'utf8' });
    if (next2.status !== 0) problem(`the sandbox after the soak failed: ${next2.status} ${next2.stderr}`);
    const pids = new Set(all.flatMap((s) => [...s.sentryPids]));
    for (const name of readdirSync('/dev/shm')) {
      const pid = /^tvisor-(?:dir|fifo|sock)-(\d+)-/.exec(name)?.[1];
      if (pid && pids.has(Number(pid))) problem(`/dev/shm/${name} left behind`);
    }
    for (const name of readdirSync('/tmp')) {
      const pid = /^tvisor-.*-(\d+)-/.exec(name)?.[1];
      if (pid && pids.has(Number(pid))) problem(`/tmp/${name} left behind`);
    }
    return report;
  } finally {
    for (const s of live) s.cli.kill('SIGKILL');
    rmSync(work, { recursive: true, force: true });
  }
}
