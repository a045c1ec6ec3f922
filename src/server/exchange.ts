/** One request's state as it moves through the handler chain. */
import type { IncomingMessage, ServerResponse } from "node:http";
import type { HttpResponse } from "../protocol/http.js";
import type { Operation, ServiceModel } from "../protocol/model.js";
import type { Protocol } from "../protocol/protocol.js";
import type { ServiceDefinition } from "../services/types.js";
import type { NodeHttpRequest } from "./request.js";
import type { SignatureInfo } from "./sigv4.js";

export class Exchange {
  readonly startedAt = process.hrtime.bigint();
  /** Strict mode let an unsigned request on until its operation is known (only unsigned operations may be). */
  unsigned = false;
  /** When the request arrived, on Stratus's clock (epoch ms). */
  receivedAt = 0;
  signature?: SignatureInfo;
  account = "";
  region = "";
  accessKeyId = "";
  principalArn = "";
  wantedService = "";
  definition?: ServiceDefinition;
  protocol?: Protocol;
  model?: ServiceModel;
  operation?: Operation;
  input?: Record<string, unknown>;
  response?: HttpResponse;
  /** The AWS error code the request was answered with, if it failed. */
  errorCode?: string;
  readonly responseHeaders: Record<string, string> = {};

  constructor(
    readonly requestId: string,
    readonly req: IncomingMessage,
    readonly res: ServerResponse,
    readonly http: NodeHttpRequest,
  ) {}

  get label(): string {
    if (this.operation) return `${this.definition?.name}.${this.operation.name}`;
    return this.definition?.name ?? this.wantedService ?? "?";
  }
}
