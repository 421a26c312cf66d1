// A logging shim for an OCI runtime (test tooling, not a mock): a shell script
// that records how an engine calls the runtime (argv, cwd, parent, fds, the
// env vars engines set, a copy of the bundle's config.json for create/run and
// of exec's --process file) and then execs the real runtime with the same argv.
// docs/engines.md and test/engines/samples/ were made with it.
import { chmodSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** Writes `<dir>/logrunc` that logs into `logDir` (one call.<ns>.<pid> file per call) and execs `runtime`. */
export function writeLoggingRuntime(dir: string, logDir: string, runtime: string): string {
  const path = join(dir, 'logrunc');
  writeFileSync(path, `#!/bin/sh
fds=""
for fd in $(ls /proc/$$/fd); do fds="$fds
fd $fd -> $(readlink /proc/$$/fd/$fd)"; done
LOG='${logDir}'
mkdir -p "$LOG"
f="$LOG/call.$(date +%s%N).$$"
{
  echo "argv: $0 $*"
  echo "cwd: $(pwd)"
  echo "ppid: $PPID $(tr '\\0' ' ' < /proc/$PPID/cmdline 2>/dev/null)"
  echo "fds (of the sh wrapper; its own script fd is included):$fds"
  env | grep -E '^(NOTIFY_SOCKET|_|XDG_RUNTIME_DIR|LISTEN_|RUNC_|CONTAINERS_)' | sed 's/^/env: /'
} > "$f"
sub=""; bundle=""; prev=""
for a in "$@"; do
  case "$prev" in --bundle|-b) bundle="$a";; esac
  case "$a" in --bundle=*) bundle="\${a#--bundle=}";; esac
  case "$prev" in --process) cp "$a" "$f.process.json" 2>>"$f";; esac
  case "$prev" in --console-socket) echo "console-socket: $a" >> "$f";; esac
  prev="$a"
done
for a in "$@"; do case "$a" in create|run) sub=$a; break;; esac; done
if [ -n "$sub" ]; then cp "\${bundle:-.}/config.json" "$f.config.json" 2>>"$f"; fi
exec '${runtime}' "$@"
`);
  chmodSync(path, 0o755);
  return path;
}
