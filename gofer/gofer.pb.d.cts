// What gofer/protocol.ts uses of gofer.pb.cjs, the code scripts/protos.mjs
// generates from gofer.proto (protobufjs's static module).
import type { Writer } from 'protobufjs';

interface Message { encode(message: object): Writer; decode(bytes: Uint8Array): unknown }

declare const root: { tvisor: { gofer: { Attaches: Message; Request: Message; Response: Message } } };
export = root;
