// Generates each .proto's codec as code (protobufjs's static module, NAME.pb.cjs beside the .proto, and the same in
// dist/), before tsc: the codecs then need neither the schema at run time nor protobufjs's reflection, which built
// and compiled every encoder and decoder as each process first used it, milliseconds of every start-up
// (docs/design.md, "Start-up"). NAME.pb.d.cts, written by hand, types what the codecs use of it.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { pbjs } from 'protobufjs-cli';

const PROTOS = [
  // The control codec turns messages into plain objects (toObject) and back (fromObject): its readers test which
  // fields were sent.
  { proto: 'sentry/control/control.proto', root: 'control', convert: true },
  { proto: 'gofer/gofer.proto', root: 'gofer', convert: false },
];

function generate({ proto, root, convert }) {
  const args = ['-t', 'static-module', '-w', 'commonjs', '-r', root, '--no-comments', '--no-verify', '--no-delimited',
    '--no-typeurl', '--no-service', '--no-create', ...(convert ? [] : ['--no-convert']), proto];
  return new Promise((resolve, reject) => pbjs.main(args, (err, out) => (err ? reject(err) : resolve(out))));
}

for (const p of PROTOS) {
  const code = await generate(p);
  const out = p.proto.replace(/\.proto$/, '.pb.cjs');
  for (const file of [out, `dist/${out}`]) {
    mkdirSync(dirname(file), { recursive: true });
    // Unchanged output is not rewritten: vitest and tsc watch these files.
    let old = null;
    try { old = readFileSync(file, 'utf8'); } catch { /* first build */ }
    if (old !== code) writeFileSync(file, code);
  }
}
