/**
 * awsJson 1.0/1.1 (KMS, Pricing, Cost Explorer, CloudWatch's json form) and
 * smithy-rpc-v2-cbor (CloudWatch's newest form). Both are RPC over POST with a
 * document body; they differ in how the operation is named and in encoding.
 */
import { AwsError, CommonErrors } from "../core/errors.js";
import { CborError, decodeCbor, encodeCbor } from "./cbor.js";
import { readDocument, writeDocument, type DocumentFlavor } from "./document.js";
import type { HttpRequest, HttpResponse } from "./http.js";
import type { Operation, ServiceModel } from "./model.js";
import { MAX_BODY, type Protocol } from "./protocol.js";

/** Error `__type`: the modelled shape's id when one matches the code, else the code. */
function errorType(model: ServiceModel, operation: Operation | undefined, error: AwsError): string {
  // A query-compatible service's ValidationError is Coral's own validation exception on the
  // json and cbor wire (x-amzn-query-error still says ValidationError).
  if (error.code === "ValidationError" && model.metadata.awsQueryCompatible) return "com.amazon.coral.validate#ValidationException";
  const shapeName = model.errorShapeName(error.code, operation);
  return shapeName ? `${model.namespace}#${shapeName}` : error.code;
}

function errorHeaders(model: ServiceModel, error: AwsError, requestId: string): Record<string, string> {
  const headers: Record<string, string> = { "x-amzn-requestid": requestId, "x-amzn-errortype": error.code, ...error.headers };
  if (model.metadata.awsQueryCompatible) headers["x-amzn-query-error"] = `${error.code};${error.fault}`;
  return headers;
}

function errorBody(model: ServiceModel, operation: Operation | undefined, error: AwsError): Record<string, unknown> {
  const body: Record<string, unknown> = { __type: errorType(model, operation, error) };
  // Errors AWS sends without words (KMS's InvalidCiphertextException...) carry no message member.
  if (error.message) body.message = error.message;
  for (const [key, value] of Object.entries(error.fields)) if (value !== undefined) body[key] = value;
  return body;
}

export class JsonProtocol implements Protocol {
  readonly name = "json" as const;

  async resolveOperation(request: HttpRequest, model: ServiceModel): Promise<Operation> {
    const target = request.headers["x-amz-target"] ?? "";
    const dot = target.lastIndexOf(".");
    const prefix = dot >= 0 ? target.slice(0, dot) : "";
    const name = dot >= 0 ? target.slice(dot + 1) : target;
    const operation = prefix === model.metadata.targetPrefix ? model.operation(name) : undefined;
    if (!operation) throw CommonErrors.unknownOperation(target || "(no X-Amz-Target)");
    return operation;
  }

  async parseInput(request: HttpRequest, model: ServiceModel, operation: Operation): Promise<Record<string, unknown>> {
    const body = await request.readBody(MAX_BODY);
    let document: unknown = {};
    if (body.length > 0) {
      try {
        document = JSON.parse(body.toString("utf8"));
      } catch {
        throw CommonErrors.serialization("Start of structure or map found where not expected.");
      }
    }
    if (!operation.input) return {};
    return (readDocument(model, model.shape(operation.input.shape), document, "json", "") ?? {}) as Record<string, unknown>;
  }

  serializeOutput(model: ServiceModel, operation: Operation, output: Record<string, unknown> | undefined, requestId: string): HttpResponse {
    const document = operation.output ? writeDocument(model, model.shape(operation.output.shape), output ?? {}, "json") : {};
    return {
      status: 200,
      headers: { "content-type": `application/x-amz-json-${model.metadata.jsonVersion ?? "1.0"}`, "x-amzn-requestid": requestId },
      body: JSON.stringify(document ?? {}),
    };
  }

  serializeError(model: ServiceModel, operation: Operation | undefined, error: AwsError, requestId: string): HttpResponse {
    return {
      status: error.status,
      headers: { "content-type": `application/x-amz-json-${model.metadata.jsonVersion ?? "1.0"}`, ...errorHeaders(model, error, requestId) },
      body: JSON.stringify(errorBody(model, operation, error)),
    };
  }
}

export class CborRpcProtocol implements Protocol {
  readonly name = "smithy-rpc-v2-cbor" as const;

  async resolveOperation(request: HttpRequest, model: ServiceModel): Promise<Operation> {
    const match = /\/service\/([^/]+)\/operation\/([^/?]+)$/.exec(request.rawPath);
    let name: string | undefined;
    try {
      name = match ? decodeURIComponent(match[2]) : undefined;
    } catch {
      name = undefined;
    }
    const operation = name ? model.operation(name) : undefined;
    if (!operation || request.method !== "POST") throw CommonErrors.unknownOperation(request.rawPath);
    return operation;
  }

  async parseInput(request: HttpRequest, model: ServiceModel, operation: Operation): Promise<Record<string, unknown>> {
    const body = await request.readBody(MAX_BODY);
    let document: unknown = {};
    if (body.length > 0) {
      try {
        document = decodeCbor(body);
      } catch (error) {
        throw CommonErrors.serialization(error instanceof CborError ? `Malformed CBOR: ${error.message}` : "Malformed CBOR body");
      }
    }
    if (!operation.input) return {};
    return (readDocument(model, model.shape(operation.input.shape), document, "cbor" as DocumentFlavor, "") ?? {}) as Record<string, unknown>;
  }

  serializeOutput(model: ServiceModel, operation: Operation, output: Record<string, unknown> | undefined, requestId: string): HttpResponse {
    const headers: Record<string, string> = { "smithy-protocol": "rpc-v2-cbor", "x-amzn-requestid": requestId };
    if (!operation.output) return { status: 200, headers, body: Buffer.alloc(0) };
    headers["content-type"] = "application/cbor";
    return { status: 200, headers, body: encodeCbor(writeDocument(model, model.shape(operation.output.shape), output ?? {}, "cbor") ?? {}) };
  }

  serializeError(model: ServiceModel, operation: Operation | undefined, error: AwsError, requestId: string): HttpResponse {
    return {
      status: error.status,
      headers: { "smithy-protocol": "rpc-v2-cbor", "content-type": "application/cbor", ...errorHeaders(model, error, requestId) },
      body: encodeCbor(errorBody(model, operation, error)),
    };
  }
}
