// The compatibility matrix: for each system call the probes test, and each of
// tvisor's filesystems, whether its cases behave as on Linux. Made from a run
// of the suite (`npm run fs-semantics -- --json` writes
// test/fs-semantics/compat.json and docs/compat.md); docs/compat.md is made
// from the JSON alone, and test/docs.test.ts checks that it is up to date,
// test/fs-semantics.test.ts that the JSON is the suite's present answer.
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { repoFile } from '../../native/index.js';
import { SYSCALL_NAMES, SYSCALLS } from '../../sentry/syscalls/numbers.js';

/** What the matrix reads of one result of run.ts (which imports this file, so the type is not imported back). */
export interface CaseResult { probe: string; case: string; fs: string; tvisor: boolean; verdict: string; reason?: string }

/** What a case says of a system call on a filesystem. */
export type Compat = 'same' | 'different' | 'unsupported';

export interface CompatCell { verdict: Compat; cases: number; different: number; unsupported: number }

export interface CompatMatrix {
  filesystems: string[];
  /** syscall → filesystem → its cases there (absent: no case of it runs on that filesystem). */
  syscalls: Record<string, Record<string, CompatCell>>;
  /** "probe/case" → the system calls it tests, and its verdict on each filesystem. */
  cases: Record<string, { syscalls: string[]; results: Record<string, Compat> }>;
}

/** libc calls that are not a system call of their own name, as the system call they make. */
const LIBC: Record<string, string> = {
  opendir: 'openat', fdopendir: 'getdents64', readdir: 'getdents64', rewinddir: 'lseek', seekdir: 'lseek', telldir: 'lseek',
  fopen: 'openat', mkfifo: 'mknodat', mkfifoat: 'mknodat', lockf: 'fcntl', posix_fallocate: 'fallocate',
  pread: 'pread64', pwrite: 'pwrite64', statvfs: 'statfs', fstatvfs: 'fstatfs', utimes: 'utimensat', futimens: 'utimensat',
  execl: 'execve', execlp: 'execve', execv: 'execve', execvp: 'execve', posix_openpt: 'openat', ptsname: 'ioctl',
  grantpt: 'ioctl', unlockpt: 'ioctl', tcgetattr: 'ioctl', tcsetattr: 'ioctl', isatty: 'ioctl',
};

/** The system call an identifier called in a probe names, if any. */
function syscallOf(ident: string, firstArg: string): string | null {
  if (ident === 'syscall') {
    const m = /^\s*(?:SYS_(\w+)|(\d+))/.exec(firstArg);
    return m ? m[1] ?? SYSCALL_NAMES[Number(m[2])] ?? null : null;
  }
  return LIBC[ident] ?? (ident in SYSCALLS ? ident : null);
}

/** The text between the parenthesis at `open` and its match. */
function balanced(src: string, open: number): string {
  let depth = 0;
  for (let i = open; i < src.length; i++) {
    if (src[i] === '"') { for (i++; i < src.length && src[i] !== '"'; i++) if (src[i] === '\\') i++; continue; }
    if (src[i] === '(') depth++;
    else if (src[i] === ')' && --depth === 0) return src.slice(open + 1, i);
  }
  return src.slice(open + 1);
}

function callsIn(code: string): string[] {
  const out = new Set<string>();
  const noStrings = code.replace(/"(?:[^"\\]|\\.)*"/g, '""');
  for (const m of noStrings.matchAll(/\b([a-z_][a-z0-9_]*)\s*\(/g)) {
    const s = syscallOf(m[1]!, balanced(noStrings, m.index! + m[0].length - 1));
    if (s) out.add(s);
  }
  return [...out];
}

/**
 * The system calls each case of a probe source tests: those called in its
 * SHOW and OK lines (what it prints results of), or, for a case that prints
 * only facts, every one it calls.
 */
export function syscallsOfCases(source: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  const starts = [...source.matchAll(/^CASE\((\w+)\)/gm)];
  starts.forEach((m, i) => {
    const body = source.slice(m.index!, starts[i + 1]?.index ?? source.length);
    const shown: string[] = [];
    for (const s of body.matchAll(/\b(?:SHOW|OK)\(/g)) shown.push(...callsIn(balanced(body, s.index! + s[0].length - 1)));
    out.set(m[1]!, [...new Set(shown.length ? shown : callsIn(body.slice(m[0].length)))].sort());
  });
  return out;
}

/** A case's verdict as the matrix tells it: a known gap that something is not implemented is "unsupported". */
/**
 * A case's entry: a listed gap is a difference the project states, whether or not one run happened to match
 * (a millisecond clock may tick or not between two steps), so that the matrix is the same from run to run.
 */
function compatOf(r: CaseResult): Compat {
  if (r.reason) return /not implemented|ENOSYS/.test(r.reason) ? 'unsupported' : 'different';
  return r.verdict === 'same' ? 'same' : 'different';
}

/** The matrix of a run's results on tvisor's filesystems (other sandboxes' columns are left out). */
export function compatMatrix(results: CaseResult[]): CompatMatrix {
  const ours = results.filter((r) => r.tvisor);
  const sources = new Map<string, Map<string, string[]>>();
  const callsOf = (r: CaseResult) => {
    if (!sources.has(r.probe)) {
      sources.set(r.probe, syscallsOfCases(readFileSync(repoFile(`test/fs-semantics/probes/${r.probe}.c`), 'utf8')));
    }
    return sources.get(r.probe)!.get(r.case) ?? [];
  };
  const m: CompatMatrix = { filesystems: [...new Set(ours.map((r) => r.fs))], syscalls: {}, cases: {} };
  for (const r of ours) {
    const key = `${r.probe}/${r.case}`;
    const verdict = compatOf(r);
    const c = m.cases[key] ??= { syscalls: callsOf(r), results: {} };
    c.results[r.fs] = verdict;
    for (const s of c.syscalls) {
      const cell = (m.syscalls[s] ??= {})[r.fs] ??= { verdict: 'same', cases: 0, different: 0, unsupported: 0 };
      cell.cases++;
      if (verdict !== 'same') cell[verdict]++;
      cell.verdict = cell.unsupported ? 'unsupported' : cell.different ? 'different' : 'same';
    }
  }
  // Sorted, so that the JSON of two runs compares as text.
  m.syscalls = Object.fromEntries(Object.entries(m.syscalls).sort(([a], [b]) => a.localeCompare(b)));
  m.cases = Object.fromEntries(Object.entries(m.cases).sort(([a], [b]) => a.localeCompare(b)));
  return m;
}

const COMPAT_JSON = 'test/fs-semantics/compat.json';
const COMPAT_DOC = 'docs/compat.md';

export function readCompat(): CompatMatrix {
  return JSON.parse(readFileSync(repoFile(COMPAT_JSON), 'utf8')) as CompatMatrix;
}

export function compatJson(m: CompatMatrix): string {
  return JSON.stringify(m, null, 1) + '\n';
}

/** docs/compat.md: one row a system call, one column a filesystem. */
export function renderCompat(m: CompatMatrix): string {
  const cell = (c?: CompatCell) => {
    if (!c) return '–';
    if (c.verdict === 'same') return `same (${c.cases})`;
    const parts = [c.different && `${c.different} different`, c.unsupported && `${c.unsupported} unsupported`].filter(Boolean);
    return `**${parts.join(', ')}** of ${c.cases}`;
  };
  const total = Object.keys(m.cases).length;
  return [
    '# Compatibility with Linux, system call by filesystem',
    '',
    '<!-- generated by `npm run fs-semantics -- --json` from test/fs-semantics/compat.json; do not edit -->',
    '',
    `Each cell counts the probe cases (\`test/fs-semantics/probes\`, ${total} in all) that test the`,
    'system call, run on that filesystem in tvisor and natively on Linux: **same** when every one',
    'behaves as on Linux; else how many differ, as known gaps (**different**) or as calls that are',
    'not implemented there (**unsupported**); each has its reason in the known gaps of',
    '[the design](design.md#known-gaps). A case counts for the calls whose results it prints.',
    '',
    `| system call | ${m.filesystems.join(' | ')} |`,
    `|---|${m.filesystems.map(() => '---').join('|')}|`,
    ...Object.entries(m.syscalls).map(([s, byFs]) => `| \`${s}\` | ${m.filesystems.map((f) => cell(byFs[f])).join(' | ')} |`),
    '',
  ].join('\n');
}

/** Writes the JSON and the table made from it. */
export function writeCompat(m: CompatMatrix): string[] {
  writeFileSync(repoFile(COMPAT_JSON), compatJson(m));
  writeFileSync(repoFile(COMPAT_DOC), renderCompat(m));
  return [repoFile(COMPAT_JSON), repoFile(COMPAT_DOC)];
}

export function readCompatDoc(): string {
  return readFileSync(repoFile(COMPAT_DOC), 'utf8');
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const m = readCompat();
  writeFileSync(repoFile(COMPAT_DOC), renderCompat(m));
  console.log(`${repoFile(COMPAT_DOC)}: rewritten from ${COMPAT_JSON}`);
}
