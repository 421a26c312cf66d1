// The control socket's messages (control.proto), shared by the sandbox that
// serves them and the runtime's commands that send them: the code
// scripts/protos.mjs generates from control.proto.
import type { IConversionOptions } from 'protobufjs';
import '../../native/protos.js';
import generated from './control.pb.cjs';
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

const { Request, Response } = generated.tvisor.control;

/** Plain objects with the fields that were sent, and no others: readers test which were. */
const CONVERSION: IConversionOptions = { longs: String, defaults: false, arrays: false, oneofs: false };

export const controlCodec = {
  encodeRequest: (r: ControlRequest): Uint8Array => Request.encode(Request.fromObject(r)).finish(),
  decodeRequest: (b: Uint8Array): ControlRequest => Request.toObject(Request.decode(b), CONVERSION) as ControlRequest,
  encodeResponse: (r: ControlResponse): Uint8Array => Response.encode(Response.fromObject(r)).finish(),
  decodeResponse: (b: Uint8Array): ControlResponse => Response.toObject(Response.decode(b), CONVERSION) as ControlResponse,
};
