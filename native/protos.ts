// protobufjs's runtime as the generated codecs (NAME.pb.cjs, made from each
// .proto by scripts/protos.mjs) use it. 64-bit fields are plain numbers: no
// inode, size or time tvisor sends needs more than 2^53 (a directory
// position, which may, travels as bytes). A codec imports this module before
// its generated module, which sets its messages' 64-bit defaults as it loads.
import protobuf from 'protobufjs/minimal.js';

protobuf.util.Long = undefined as never;
protobuf.configure();
