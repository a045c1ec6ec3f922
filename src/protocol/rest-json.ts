/** rest-json (EBS direct API, DLM): HTTP bindings with a JSON body. */
import { AwsError, CommonErrors } from "../core/errors.js";
import { readDocument, writeDocument } from "./document.js";
import type { HttpResponse } from "./http.js";
import type { Member, Operation, ServiceModel, Shape } from "./model.js";
import { RestProtocol } from "./rest.js";

export class RestJsonProtocol extends RestProtocol {
  readonly name = "rest-json" as const;

  protected readBody(model: ServiceModel, shape: Shape, body: Buffer): Record<string, unknown> {
    let document: unknown;
    try {
      document = JSON.parse(body.toString("utf8"));
    } catch {
      throw CommonErrors.serialization("Could not parse request body into json: Unexpected character");
    }
    const bodyShape: Shape = { ...shape, members: Object.fromEntries(Object.entries(shape.members ?? {}).filter(([, ref]) => !ref.location)) };
    return (readDocument(model, bodyShape, document, "json", "", true) ?? {}) as Record<string, unknown>;
  }

  protected writeBody(model: ServiceModel, _operation: Operation, shape: Shape, value: Record<string, unknown>, _root?: Member) {
    return { contentType: "application/json", body: JSON.stringify(writeDocument(model, shape, value, "json", true) ?? {}) };
  }

  protected override alwaysWriteBody(): boolean {
    return true;
  }

  serializeError(_model: ServiceModel, _operation: Operation | undefined, error: AwsError, requestId: string): HttpResponse {
    const body: Record<string, unknown> = { message: error.message };
    for (const [key, value] of Object.entries(error.fields)) if (value !== undefined) body[key] = value;
    return {
      status: error.status,
      headers: { "content-type": "application/json", "x-amzn-requestid": requestId, "x-amzn-errortype": error.code, ...error.headers },
      body: JSON.stringify(body),
    };
  }
}
