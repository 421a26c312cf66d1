// The protobuf schemas (the .proto files) as the build wrote them:
// protobufjs's JSON descriptors in dist/protos/ (scripts/protos.mjs), loaded
// with its light build, which has no .proto parser to load or run.
import { readFileSync } from 'node:fs';
import protobuf from 'protobufjs/light.js';
import { repoFile } from './repo.js';

/** The schema of `name` (control: sentry/control/control.proto, gofer: gofer/gofer.proto). */
export function loadProto(name: 'control' | 'gofer'): protobuf.Root {
  return protobuf.Root.fromJSON(JSON.parse(readFileSync(repoFile(`dist/protos/${name}.json`), 'utf8')) as protobuf.INamespace);
}
