// Writes each .proto of the repository as protobufjs's JSON descriptor
// (dist/protos/<name>.json), which the codecs load with the light build of
// protobufjs: parsing a .proto costs every process that talks protobuf (the
// command line, the sandbox process, each gofer) milliseconds of its
// start-up, and the parser's code (docs/design.md, "Start-up").
import { mkdirSync, writeFileSync } from 'node:fs';
import protobuf from 'protobufjs';

const PROTOS = { control: 'sentry/control/control.proto', gofer: 'gofer/gofer.proto' };

mkdirSync('dist/protos', { recursive: true });
for (const [name, path] of Object.entries(PROTOS)) {
  writeFileSync(`dist/protos/${name}.json`, JSON.stringify(protobuf.loadSync(path).toJSON()));
}
