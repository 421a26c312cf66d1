// The OCI runtime's command line, spelled as runc's: global flags before
// the command (--root, --log, --log-format, --debug, --systemd-cgroup), the
// commands and their flags. An error is one line on stderr (and a runc-style
// entry in --log) and exit status 1.
import { appendFileSync } from 'node:fs';
import { Command, InvalidArgumentError, Option } from 'commander';
import { CgroupError } from '../cgroup.js';
import { ConfigError, RuntimeError } from './errors.js';
import type * as Runtime from './runtime.js';

/** Where the containers' state lives when --root is not given (podman gives none). */
const DEFAULT_ROOT = '/run/tvisor';

/** The runtime's modules load the native glue and the codecs: only for a runtime command, not for `do`. */
const runtime = (): Promise<typeof Runtime> => import('./runtime.js');

interface Globals { root?: string; log?: string; logFormat?: string; debug?: boolean; debugLog?: string; strace?: boolean; goferTimeout?: number }

function globals(program: Command): Runtime.GlobalOptions & { log?: string; logFormat: string; debug: boolean } {
  const g = program.opts<Globals>();
  return { root: g.root ?? DEFAULT_ROOT, debugLog: g.debugLog, strace: g.strace, log: g.log, logFormat: g.logFormat ?? 'text',
    debug: g.debug ?? false, ...(g.goferTimeout === undefined ? {} : { goferDeadlineMs: g.goferTimeout }) };
}

function logLine(g: ReturnType<typeof globals>, level: string, msg: string): void {
  if (!g.log) return;
  const time = new Date().toISOString();
  const line = g.logFormat === 'json' ? JSON.stringify({ level, msg, time })
    : `time="${time}" level=${level} msg=${JSON.stringify(msg)}`;
  try { appendFileSync(g.log, line + '\n'); } catch { /* the log is the engine's; nothing more to tell */ }
}

/**
 * A warm command line (warm.ts) serving a command the front end (native/front.c) handed it: the commands it serves
 * (a pod's: a joining create, with the front end's waiter; a root's: a new sandbox's create, with the spare sandbox
 * process the front end started, or a command that starts nothing); anything else goes back to the front end, which
 * runs it with Node.
 */
export interface WarmContext {
  waiter?: { pid: number; sock: number };
  spare?: { pid: number; sock: number };
  serves(command: string): boolean;
  /** Sends the command back to the front end unserved (nothing was done). */
  toNode(): void;
  /** Ends the served command with its exit status (the Node command line's process.exit). */
  finish(code: number): void;
}

/** The command line's program: its version and parsing rules, for the CLI and a warm command line alike. */
export function newProgram(): Command {
  return new Command('tvisor')
    .description('A gVisor-style sandbox: a userspace kernel serves the filesystem of untrusted Linux programs.')
    .version('tvisor version 0.1.0\nspec: 1.2.0', '--version')
    .enablePositionalOptions();
}

/**
 * The front end (native/front.c) ran this command with Node because the state root has no warm command line
 * (TVISOR_WARM=start): the command starts them for the next ones. Not passed on to what the command starts.
 */
const startRootWarm = process.env.TVISOR_WARM === 'start';
delete process.env.TVISOR_WARM;

/** Ends a command with `code`, having started the root's warm command lines if it is to; or a warm one's. */
async function end(g: ReturnType<typeof globals>, name: string, code: number, warm?: WarmContext): Promise<void> {
  if (warm) return warm.finish(code);
  if (startRootWarm && name !== 'spec' && name !== 'features') (await import('./warm.js')).startRootWarm(g.root);
  process.exit(code);
}

/** Runs a command: an expected error is one line and exit 1; anything else, its stack with --debug. */
function action<A extends unknown[]>(program: Command, name: string,
    f: (g: ReturnType<typeof globals>, rt: typeof Runtime, ...a: A) => unknown, warm?: WarmContext) {
  return async (...a: A) => {
    if (warm && !warm.serves(name)) return warm.toNode();
    const g = globals(program);
    if (g.debug) logLine(g, 'debug', `${name} ${process.argv.slice(2).join(' ')}${warm ? ' (served by a warm command line)' : ''}`);
    let code: number;
    try {
      const r = await f(g, await runtime(), ...a);
      code = typeof r === 'number' ? r : 0;
    } catch (e) {
      if (warm && e instanceof (await runtime()).ForNode) return warm.toNode();
      const known = e instanceof RuntimeError || e instanceof ConfigError || e instanceof CgroupError;
      const msg = (e as Error).message;
      logLine(g, 'error', msg);
      process.stderr.write(`tvisor: ${msg}\n`);
      if (!known || g.debug) process.stderr.write(`${(e as Error).stack}\n`);
      code = 1;
    }
    await end(g, name, code, warm);
  };
}

/**
 * `--gofer-timeout SECONDS` (the CLI's `do` and the runtime's global flag): how long the sentry waits for a gofer's
 * answer before it gives the gofer up as stalled; its value in ms.
 */
export function goferTimeoutOption(): Option {
  return new Option('--gofer-timeout <seconds>', 'give a gofer that has not answered a request for this long up as dead ' +
    '(the container it serves ends; 0: wait forever) [default: 30]').argParser((v: string) => {
    if (!/^\d+(\.\d+)?$/.test(v)) throw new InvalidArgumentError(`${v}: expected a number of seconds`);
    // Up: a positive timeout never becomes 0, which waits forever.
    return Math.ceil(Number(v) * 1000);
  });
}

const collect = (v: string, prev: string[]) => [...prev, v];
const integer = (v: string) => {
  if (!/^\d+$/.test(v)) throw new InvalidArgumentError(`${v}: expected a number`);
  return Number(v);
};

export function registerRuntime(program: Command, warm?: WarmContext): void {
  const act = <A extends unknown[]>(name: string, f: (g: ReturnType<typeof globals>, rt: typeof Runtime, ...a: A) => unknown) =>
    action(program, name, f, warm);
  program
    .option('--root <dir>', 'where the containers\' state lives', DEFAULT_ROOT)
    .option('--log <file>', 'append the runtime\'s log (errors, and with --debug its commands) to file')
    .addOption(new Option('--log-format <format>', 'the log\'s format').choices(['text', 'json']).default('text'))
    .option('--debug', 'log more, and show the stack of unexpected errors')
    .option('--systemd-cgroup', 'accepted for engines; the sandbox\'s cgroup is made by tvisor itself (cgroupfs)')
    .option('--debug-log <file>', 'the sandbox\'s own debug log (JSON lines)')
    .option('--strace', 'log every trapped system call of the container to --debug-log')
    .addOption(goferTimeoutOption());

  program.command('create').description('create a container (its sandbox waits for start)')
    .argument('<container-id>')
    .option('-b, --bundle <dir>', 'the bundle (config.json and the root filesystem)', '.')
    .option('--pid-file <file>', 'write the sandbox\'s pid (the process to wait for) here')
    .option('--console-socket <path>', 'send the terminal\'s master here (process.terminal)')
    .option('--no-pivot', 'accepted (the sandbox never pivots the host\'s root)')
    .option('--no-new-keyring', 'accepted (the sandbox has no host keyring)')
    .option('--preserve-fds <n>', 'accepted with 0 only', integer, 0)
    .action(act('create', async (g, rt, id: string, o: { bundle: string; pidFile?: string; consoleSocket?: string; preserveFds: number }) => {
      if (o.preserveFds !== 0) throw new RuntimeError('--preserve-fds is not supported');
      await rt.create(g, id, { ...o, ...(warm?.waiter ? { waiter: warm.waiter } : {}), ...(warm?.spare ? { spare: warm.spare } : {}) });
    }));

  program.command('start').description('start the container\'s process').argument('<container-id>')
    .action(act('start', (g, rt, id: string) => rt.start(g, id)));

  program.command('run').description('create and start a container; wait for it unless --detach').argument('<container-id>')
    .option('-b, --bundle <dir>', 'the bundle', '.')
    .option('--pid-file <file>', 'write the sandbox\'s pid here')
    .option('--console-socket <path>', 'send the terminal\'s master here')
    .option('-d, --detach', 'return once the container runs')
    .option('--no-pivot', 'accepted')
    .option('--no-new-keyring', 'accepted')
    .action(act('run', (g, rt, id: string, o: { bundle: string; pidFile?: string; consoleSocket?: string; detach?: boolean }) => rt.run(g, id, { ...o, detach: o.detach ?? false })));

  program.command('state').description('the container\'s state as JSON').argument('<container-id>')
    .action(act('state', (g, rt, id: string) => rt.state(g, id)));

  program.command('kill').description('send a signal to the container\'s process (default SIGTERM)')
    .argument('<container-id>').argument('[signal]', 'a name (TERM, SIGKILL) or a number', 'SIGTERM')
    .option('-a, --all', 'to every process of the container')
    .action(act('kill', (g, rt, id: string, sig: string, o: { all?: boolean }) => rt.kill(g, id, sig, o.all ?? false)));

  program.command('delete').description('delete a stopped (or, with --force, any) container').argument('<container-id>')
    .option('-f, --force', 'kill it first if it runs')
    .action(act('delete', (g, rt, id: string, o: { force?: boolean }) => rt.deleteContainer(g, id, o.force ?? false)));

  program.command('list').description('list the containers')
    .addOption(new Option('-f, --format <format>', 'table or json').choices(['table', 'json']).default('table'))
    .option('-q, --quiet', 'ids only')
    .action(act('list', (g, rt, o: { format: string; quiet?: boolean }) => rt.list(g, o.format, o.quiet ?? false)));

  program.command('ps').description('the container\'s processes (host pids)').argument('<container-id>').argument('[ps-args...]')
    .addOption(new Option('-f, --format <format>', 'table or json').choices(['table', 'json']).default('table'))
    .action(act('ps', (g, rt, id: string, psArgs: string[], o: { format: string }) => rt.ps(g, id, o.format, psArgs)));

  program.command('events').description('the container\'s resource usage as JSON events').argument('<container-id>')
    .option('--stats', 'one stats event, then exit')
    .option('--interval <seconds>', 'between stats events', integer, 5)
    .action(act('events', (g, rt, id: string, o: { stats?: boolean; interval: number }) => rt.events(g, id, o.stats ?? false, o.interval)));

  program.command('pause').description('freeze every process of the container').argument('<container-id>')
    .action(act('pause', (g, rt, id: string) => rt.pause(g, id, true)));
  program.command('resume').description('thaw a paused container').argument('<container-id>')
    .action(act('resume', (g, rt, id: string) => rt.pause(g, id, false)));

  program.command('exec').description('run another process in a running container').argument('<container-id>').argument('[command...]')
    .passThroughOptions()
    .option('-p, --process <file>', 'the process as OCI JSON')
    .option('--cwd <dir>', 'its working directory')
    .option('-e, --env <K=V>', 'an environment variable', collect, [])
    .option('-u, --user <uid[:gid]>', 'its user')
    .option('-t, --tty', 'give it a terminal')
    .option('-d, --detach', 'return once it runs')
    .option('--pid-file <file>', 'write the pid to wait for here')
    .option('--console-socket <path>', 'send the terminal\'s master here')
    .option('--notify-fd <fd>', 'internal: a detached exec\'s waiter reports on this fd', integer)
    .action(act('exec', (g, rt, id: string, args: string[], o: Omit<Runtime.ExecOptions, 'env' | 'tty' | 'detach'> &
        { env: string[]; tty?: boolean; detach?: boolean }) => rt.exec(g, id, args, { ...o, tty: o.tty ?? false, detach: o.detach ?? false })));

  // Internal: the waiter of a container joining its pod (create starts it; see runtime.ts's joinPod).

  program.command('spec').description('write a default config.json').option('-b, --bundle <dir>', 'where', '.')
    .option('--rootless', 'accepted (the same spec)')
    .action(act('spec', (_g, rt, o: { bundle: string }) => rt.spec(o.bundle)));

  program.command('features').description('what this runtime supports, as JSON')
    .action(act('features', (_g, rt) => rt.features()));
}
