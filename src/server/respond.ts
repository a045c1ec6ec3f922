/** Writing an HttpResponse to node:http, and errors for requests no protocol claimed. */
import type { ServerResponse } from "node:http";
import { Readable } from "node:stream";
import { AwsError } from "../core/errors.js";
import { encodeCbor } from "../protocol/cbor.js";
import { SEND_TO, type HttpRequest, type HttpResponse } from "../protocol/http.js";
import { escapeXml } from "../protocol/xml.js";

export function writeResponse(res: ServerResponse, response: HttpResponse, method: string): Promise<void> {
  return new Promise((resolve) => {
    const body = response.body;
    const headers = { ...response.headers };
    if ((typeof body === "string" || Buffer.isBuffer(body)) && headers["content-length"] === undefined) {
      headers["content-length"] = String(Buffer.byteLength(body));
    }
    if (!headers["content-type"] && body !== undefined && !(body instanceof Readable)) {
      headers["content-type"] = "application/octet-stream";
    }
    try {
      res.writeHead(response.status, sanitizeHeaders(headers));
    } catch (error) {
      if (!res.headersSent) {
        const fallback = `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>InternalError</Code><Message>${escapeXml(String((error as Error).message))}</Message></Error>`;
        res.writeHead(500, { "content-type": "application/xml", "content-length": Buffer.byteLength(fallback) });
        res.end(fallback);
      }
      if (body instanceof Readable) body.destroy();
      resolve();
      return;
    }
    if (method === "HEAD" || body === undefined) {
      if (body instanceof Readable) body.destroy();
      res.end();
      resolve();
      return;
    }
    if (body instanceof Readable) {
      body.on("error", () => res.destroy());
      res.on("close", () => {
        if (!body.destroyed) body.destroy();
        resolve();
      });
      const sendTo = (body as { [SEND_TO]?: (res: ServerResponse) => void })[SEND_TO];
      if (sendTo) sendTo.call(body, res);
      else body.pipe(res);
      return;
    }
    res.end(body, () => resolve());
  });
}

/** Header values must be Latin-1 without control characters; anything else is dropped, not fatal. */
function sanitizeHeaders(headers: Record<string, string | string[]>): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined) continue;
    const clean = (v: string) => String(v).replace(/[\r\n]/g, " ");
    out[name] = Array.isArray(value) ? value.map(clean) : clean(value);
  }
  return out;
}

/** An error for a request that no service protocol claimed: answer in the form the client spoke. */
export function genericError(request: HttpRequest, error: AwsError, requestId: string): HttpResponse {
  const contentType = request.headers["content-type"] ?? "";
  const headers: Record<string, string> = { "x-amzn-requestid": requestId, "x-amzn-errortype": error.code, ...error.headers };
  if ((request.headers["smithy-protocol"] ?? "") === "rpc-v2-cbor" || contentType.includes("cbor")) {
    return { status: error.status, headers: { ...headers, "smithy-protocol": "rpc-v2-cbor", "content-type": "application/cbor" }, body: encodeCbor({ __type: error.code, message: error.message }) };
  }
  if (request.headers["x-amz-target"] || contentType.includes("json")) {
    return { status: error.status, headers: { ...headers, "content-type": "application/x-amz-json-1.1" }, body: JSON.stringify({ __type: error.code, message: error.message }) };
  }
  const body =
    `<?xml version="1.0" encoding="UTF-8"?>\n<ErrorResponse><Error><Type>${error.fault}</Type><Code>${escapeXml(error.code)}</Code>` +
    `<Message>${escapeXml(error.message)}</Message></Error><RequestId>${requestId}</RequestId></ErrorResponse>`;
  return { status: error.status, headers: { ...headers, "content-type": "application/xml" }, body };
}
