// What sentry/control/codec.ts uses of control.pb.cjs, the code
// scripts/protos.mjs generates from control.proto (protobufjs's static module).
import type { IConversionOptions, Writer } from 'protobufjs';

interface Message {
  encode(message: object): Writer;
  decode(bytes: Uint8Array): object;
  fromObject(object: object): object;
  toObject(message: object, options?: IConversionOptions): object;
}

declare const root: { tvisor: { control: { Request: Message; Response: Message } } };
export = root;
