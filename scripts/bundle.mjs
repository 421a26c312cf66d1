// Bundles the programs tvisor starts (the command line, the sandbox process,
// the gofer) from the compiled modules in dist/ into dist/bundle/, with the
// same layout: a Node start-up then reads and compiles a few files instead of
// about a hundred (docs/design.md, "Start-up"). Modules imported lazily stay
// lazy (split into chunks). koffi (a native addon) and pino (loaded only for
// logs, and it starts worker threads by file name) stay packages.
import { rmSync } from 'node:fs';
import { build } from 'esbuild';

// Chunks are named by their hash: a new build leaves no old one beside it.
rmSync('dist/bundle', { recursive: true, force: true });

await build({
  entryPoints: { 'src/cli': 'dist/src/cli.js', 'src/sandbox-main': 'dist/src/sandbox-main.js', 'gofer/main': 'dist/gofer/main.js',
    'src/warm-main': 'dist/src/warm-main.js' },
  outdir: 'dist/bundle',
  chunkNames: 'src/[name]-[hash]',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  external: ['koffi', 'pino'],
  sourcemap: true,
  // Packages written as CommonJS (commander, protobufjs) call require().
  banner: { js: "import { createRequire as __tvisorRequire } from 'node:module'; const require = __tvisorRequire(import.meta.url);" },
  logLevel: 'warning',
});
