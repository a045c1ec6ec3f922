/**
 * Which service a request is for: the smithy-rpc-v2-cbor path, the
 * X-Amz-Target prefix, the SigV4 signing name, and finally S3 for unsigned
 * requests (anonymous S3 access and browser uploads).
 */
import type { HttpRequest } from "../protocol/http.js";
import type { ServiceDefinition } from "../services/types.js";
import type { SignatureInfo } from "./sigv4.js";

export interface Route {
  definition?: ServiceDefinition;
  /** What the request named when no definition serves it. */
  wanted: string;
}

const CBOR_PATH = /^\/service\/([^/]+)\/operation\/[^/]+$/;

export function routeRequest(
  request: HttpRequest,
  signature: SignatureInfo | undefined,
  definitions: readonly ServiceDefinition[],
): Route {
  const cbor = CBOR_PATH.exec(request.rawPath);
  if (cbor && (request.headers["smithy-protocol"] ?? "").toLowerCase() === "rpc-v2-cbor") {
    const name = safeDecode(cbor[1]);
    return { definition: definitions.find((d) => d.targetPrefixes?.includes(name)), wanted: name };
  }
  const target = request.headers["x-amz-target"];
  if (target) {
    const prefix = target.slice(0, Math.max(0, target.lastIndexOf(".")));
    return { definition: definitions.find((d) => d.targetPrefixes?.includes(prefix)), wanted: prefix || target };
  }
  if (signature) {
    return { definition: definitions.find((d) => d.signingNames.includes(signature.service)), wanted: signature.service };
  }
  if (request.query.some(([k]) => k === "Action") || (request.headers["content-type"] ?? "").startsWith("application/x-www-form-urlencoded")) {
    // Unsigned query-protocol calls (sts:AssumeRoleWithWebIdentity) go to STS.
    return { definition: definitions.find((d) => d.name === "sts"), wanted: "sts" };
  }
  return { definition: definitions.find((d) => d.name === "s3"), wanted: "s3" };
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}
