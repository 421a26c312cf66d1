// The control socket's messages (control.proto), shared by the sandbox that
// serves them and the runtime's commands that send them.
import type protobuf from 'protobufjs/light.js';
import { loadProto } from '../../native/protos.js';
import type { ProcessConfig } from './process.js';

export type ControlRequest = { start: { containerId?: string } } | { exec: { process: ProcessConfig; containerId?: string } }
  | { shutdown: Record<string, never> } | { changes: { tar?: boolean } }
  | { createContainer: { containerId: string; spec: string; sharePidNamespace?: boolean } }
  | { deleteContainer: { containerId: string } } | { processes: { containerId: string } };

export interface ControlResponse {
  errno?: number;
  message?: string;
  pid?: number;
  exited?: boolean;
  code?: number;
  signal?: number;
  notFound?: boolean;
  pids?: number[];
}

let root: protobuf.Root | undefined;
function type(name: string): protobuf.Type {
  root ??= loadProto('control');
  return root.lookupType(`tvisor.control.${name}`);
}

const CONVERSION: protobuf.IConversionOptions = { longs: String, defaults: false, arrays: false, oneofs: false };

export const controlCodec = {
  encodeRequest: (r: ControlRequest): Uint8Array => type('Request').encode(type('Request').fromObject(r)).finish(),
  decodeRequest: (b: Uint8Array): ControlRequest => {
    const t = type('Request');
    return t.toObject(t.decode(b), CONVERSION) as ControlRequest;
  },
  encodeResponse: (r: ControlResponse): Uint8Array => type('Response').encode(type('Response').fromObject(r)).finish(),
  /** Builds the Response codec now (protobufjs generates it at its first use), for a runtime command to do while the sandbox works. */
  prepareResponse: (): void => { type('Response').setup(); },
  decodeResponse: (b: Uint8Array): ControlResponse => {
    const t = type('Response');
    return t.toObject(t.decode(b), CONVERSION) as ControlResponse;
  },
};
