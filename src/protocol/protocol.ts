/** What every wire protocol provides; the server picks one per request. */
import type { AwsError } from "../core/errors.js";
import type { HttpRequest, HttpResponse } from "./http.js";
import type { Operation, ServiceModel } from "./model.js";

export type ProtocolName = "query" | "ec2" | "json" | "rest-json" | "rest-xml" | "smithy-rpc-v2-cbor";

export interface Protocol {
  readonly name: ProtocolName;
  /** Which operation the request calls; throws AwsError when it names none. */
  resolveOperation(request: HttpRequest, model: ServiceModel): Promise<Operation>;
  /** The operation input as plain values keyed by model member name. */
  parseInput(request: HttpRequest, model: ServiceModel, operation: Operation): Promise<Record<string, unknown>>;
  serializeOutput(model: ServiceModel, operation: Operation, output: Record<string, unknown> | undefined, requestId: string): HttpResponse;
  serializeError(model: ServiceModel, operation: Operation | undefined, error: AwsError, requestId: string): HttpResponse;
}

/** Largest non-streaming request body accepted (AWS's own limits are smaller for most APIs). */
export const MAX_BODY = 64 * 1024 * 1024;
