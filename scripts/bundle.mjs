// Bundles the programs tvisor starts (the command line, the sandbox process,
// the gofer, a pod's warm command line) from the compiled modules in dist/
// into dist/bundle/, with the same layout: a Node start-up then reads one
// file instead of about a hundred (docs/design.md, "Start-up"). Each program
// is one CommonJS file (NAME.cjs) with the V8 code cache of all its functions
// beside it (NAME.cjs.cache), and NAME.js, what tvisor starts, runs it with
// that cache (src/bundles.cts): Node 20 takes no code cache for ES modules.
// Modules imported lazily are still evaluated only when imported. koffi (a
// native addon) and pino (loaded only for logs, and it starts worker threads
// by file name) stay packages.
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { build } from 'esbuild';
import bundles from '../dist/src/bundles.cjs';

const PROGRAMS = { 'src/cli': 'dist/src/cli.js', 'src/sandbox-main': 'dist/src/sandbox-main.js', 'gofer/main': 'dist/gofer/main.js',
  'src/warm-main': 'dist/src/warm-main.js' };

// protobufjs requires long.js for 64-bit fields if it can, and long.js compiles a WebAssembly module as it loads
// (≈ 6 ms of every process's start-up); the codecs decode 64-bit fields to numbers (util.Long unset, see
// native/protos.ts), so the bundle gives protobufjs no long.js, as if it were not installed.
const withoutLong = {
  name: 'without-long',
  setup(b) {
    b.onResolve({ filter: /^long$/ }, () => ({ path: 'long', namespace: 'without-long' }));
    b.onLoad({ filter: /.*/, namespace: 'without-long' }, () => ({ contents: 'module.exports = null;', loader: 'js' }));
  },
};

// commander requires node:child_process as it loads, for subcommands that are programs of their own, which tvisor has
// none of: with net, dgram and the streams it loads, ≈ 5 ms of every command line's start. It is required when used.
const COMMANDER_CHILD_PROCESS = /const childProcess = require\('node:child_process'\);/;
const commanderLazily = {
  name: 'commander-lazily',
  setup(b) {
    b.onLoad({ filter: /[\\/]commander[\\/]lib[\\/]command\.js$/ }, ({ path }) => {
      const text = readFileSync(path, 'utf8');
      if (!COMMANDER_CHILD_PROCESS.test(text)) throw new Error(`${path}: no ${COMMANDER_CHILD_PROCESS} to make lazy`);
      return { contents: text.replace(COMMANDER_CHILD_PROCESS,
        "const childProcess = { spawn: (...args) => require('node:child_process').spawn(...args) };"), loader: 'js' };
    });
  },
};

rmSync('dist/bundle', { recursive: true, force: true });

const { metafile } = await build({
  entryPoints: PROGRAMS,
  outdir: 'dist/bundle',
  outExtension: { '.js': '.cjs' },
  bundle: true,
  format: 'cjs',
  platform: 'node',
  target: 'node20',
  external: ['koffi', 'pino'],
  sourcemap: true,
  // The modules find the repository's files from their own URL (native/repo.ts): the bundle's.
  define: { 'import.meta.url': '__tvisorUrl' },
  banner: { js: "var __tvisorUrl = require('node:url').pathToFileURL(__filename).href;" },
  plugins: [withoutLong, commanderLazily],
  metafile: true,
  logLevel: 'warning',
});

// A script run from a code cache has no loader for import() (src/bundles.cts): a package left outside the bundle is
// required.
for (const [out, { imports }] of Object.entries(metafile.outputs)) {
  const dynamic = imports.filter((i) => i.kind === 'dynamic-import');
  if (dynamic.length > 0) throw new Error(`${out} would import() ${dynamic.map((i) => i.path).join(', ')}: require it instead`);
}

// Every program is one directory below dist/bundle/, as dist/src/bundles.cjs is below dist/. Its launcher, NAME.js,
// is CommonJS (dist/bundle/package.json says so): no ES module loader on a program's start.
writeFileSync('dist/bundle/package.json', '{ "type": "commonjs" }\n');
// One character outside ASCII makes a whole source a two-byte string to V8, which Node decodes from UTF-8 the slow
// way as it reads it (cli.cjs: 12-17 ms, against 1-2 in ASCII). esbuild escapes such characters in the code (its
// charset is ASCII) but not in the comments it keeps (a class field's JSDoc): there each UTF-16 unit becomes '?', so
// that the source map's columns still hold.
function asciiOnly(file) {
  const text = readFileSync(file, 'utf8');
  const ascii = text.replace(/[^\x00-\x7f]/g, '?');
  if (ascii !== text) writeFileSync(file, ascii);
}

for (const name of Object.keys(PROGRAMS)) {
  asciiOnly(`dist/bundle/${name}.cjs`);
  bundles.writeCodeCache(`dist/bundle/${name}.cjs`);
  const base = name.split('/')[1];
  writeFileSync(`dist/bundle/${name}.js`, `// Made by scripts/bundle.mjs: runs ${base}.cjs with its code cache.\n` +
    `require('../../src/bundles.cjs').runBundle(require('node:path').join(__dirname, '${base}.cjs'));\n`);
}
