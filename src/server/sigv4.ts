/**
 * Signature Version 4: reading who signed a request (access key, date, region,
 * service) from the Authorization header or a presigned URL, and recomputing
 * the signature for strict mode.
 */
import { crypto } from "../core/crypto.js";
import { AwsError, CommonErrors } from "../core/errors.js";
import type { HttpRequest } from "../protocol/http.js";

export interface SignatureInfo {
  accessKeyId: string;
  /** yyyymmdd from the credential scope. */
  scopeDate: string;
  region: string;
  service: string;
  signedHeaders: string[];
  signature: string;
  /** X-Amz-Date (basic ISO form). */
  amzDate?: string;
  presigned: boolean;
  /** Presigned URL lifetime in seconds. */
  expires?: number;
  securityToken?: string;
}

const CREDENTIAL = /^([^/]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request$/;

/** Reads the SigV4 credential; undefined for unsigned requests. Throws on a malformed signature. */
export function readSignature(request: HttpRequest): SignatureInfo | undefined {
  const auth = request.headers["authorization"];
  if (auth) {
    if (!auth.startsWith("AWS4-HMAC-SHA256")) {
      const v2 = /^AWS ([^:]+):/.exec(auth);
      if (v2) {
        return { accessKeyId: v2[1], scopeDate: "", region: "us-east-1", service: "s3", signedHeaders: [], signature: "", presigned: false };
      }
      throw CommonErrors.incompleteSignature(`Authorization header requires 'Credential' parameter. Authorization=${auth.slice(0, 40)}`);
    }
    const fields: Record<string, string> = {};
    for (const part of auth.slice("AWS4-HMAC-SHA256".length).split(",")) {
      const eq = part.indexOf("=");
      if (eq > 0) fields[part.slice(0, eq).trim()] = part.slice(eq + 1).trim();
    }
    const credential = CREDENTIAL.exec(fields.Credential ?? "");
    if (!credential || !fields.SignedHeaders || !fields.Signature) {
      throw CommonErrors.incompleteSignature(
        "Authorization header requires 'Credential', 'Signature' and 'SignedHeaders' parameters, and a credential of the form KEY/yyyymmdd/region/service/aws4_request.",
      );
    }
    return {
      accessKeyId: credential[1],
      scopeDate: credential[2],
      region: credential[3],
      service: credential[4],
      signedHeaders: fields.SignedHeaders.split(";"),
      signature: fields.Signature,
      amzDate: request.headers["x-amz-date"],
      presigned: false,
      securityToken: request.headers["x-amz-security-token"],
    };
  }
  const q = (name: string) => request.query.find(([k]) => k === name)?.[1];
  const algorithm = q("X-Amz-Algorithm");
  if (algorithm) {
    const credential = CREDENTIAL.exec(q("X-Amz-Credential") ?? "");
    if (algorithm !== "AWS4-HMAC-SHA256" || !credential || !q("X-Amz-Signature") || !q("X-Amz-SignedHeaders") || !q("X-Amz-Date")) {
      throw new AwsError("AuthorizationQueryParametersError", "Query-string authentication version 4 requires the X-Amz-Algorithm, X-Amz-Credential, X-Amz-Signature, X-Amz-Date, X-Amz-SignedHeaders, and X-Amz-Expires parameters.", { status: 400 });
    }
    const expires = q("X-Amz-Expires");
    return {
      accessKeyId: credential[1],
      scopeDate: credential[2],
      region: credential[3],
      service: credential[4],
      signedHeaders: q("X-Amz-SignedHeaders")!.split(";"),
      signature: q("X-Amz-Signature")!,
      amzDate: q("X-Amz-Date"),
      presigned: true,
      expires: expires !== undefined ? Number(expires) : undefined,
      securityToken: q("X-Amz-Security-Token"),
    };
  }
  const v2Key = q("AWSAccessKeyId");
  if (v2Key) return { accessKeyId: v2Key, scopeDate: "", region: "us-east-1", service: "s3", signedHeaders: [], signature: q("Signature") ?? "", presigned: true };
  return undefined;
}

function uriEncode(text: string, keepSlash: boolean): string {
  let out = "";
  for (const byte of Buffer.from(text, "utf8")) {
    const ch = String.fromCharCode(byte);
    if (/[A-Za-z0-9\-._~]/.test(ch) || (keepSlash && ch === "/")) out += ch;
    else out += "%" + byte.toString(16).toUpperCase().padStart(2, "0");
  }
  return out;
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

export interface CanonicalOptions {
  /** S3 signs the path as sent; every other service encodes it once more. */
  doubleEncodePath: boolean;
  payloadHash: string;
}

export function canonicalRequest(request: HttpRequest, info: SignatureInfo, options: CanonicalOptions): string {
  const path = options.doubleEncodePath
    ? uriEncode(request.rawPath || "/", true)
    : uriEncode(safeDecode(request.rawPath || "/"), true);
  const pairs = request.query
    .filter(([key]) => !(info.presigned && key === "X-Amz-Signature"))
    .map(([key, value]) => [uriEncode(key, false), uriEncode(value, false)] as const)
    .sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0));
  const query = pairs.map(([k, v]) => `${k}=${v}`).join("&");
  const headers = info.signedHeaders
    .map((name) => `${name}:${headerText(request.headers[name] ?? "").trim().replace(/\s+/g, " ")}\n`)
    .join("");
  return [request.method, path, query, headers, info.signedHeaders.join(";"), options.payloadHash].join("\n");
}

/**
 * Node reads header bytes as latin1; clients sign the bytes they sent, which for a
 * non-ASCII value (S3 user metadata) are UTF-8. The canonical request is hashed as
 * UTF-8, so a value is read back as UTF-8 when its bytes are valid UTF-8.
 */
function headerText(value: string): string {
  if (!/[^\x00-\x7f]/.test(value)) return value;
  const bytes = Buffer.from(value, "latin1");
  const text = bytes.toString("utf8");
  return Buffer.from(text, "utf8").equals(bytes) ? text : value;
}

export function signingKey(secret: string, date: string, region: string, service: string): Buffer {
  const kDate = crypto().createHmac("sha256", "AWS4" + secret).update(date).digest();
  const kRegion = crypto().createHmac("sha256", kDate).update(region).digest();
  const kService = crypto().createHmac("sha256", kRegion).update(service).digest();
  return crypto().createHmac("sha256", kService).update("aws4_request").digest();
}

export function sha256Hex(data: string | Buffer): string {
  return crypto().createHash("sha256").update(data).digest("hex");
}

/** The string to sign: algorithm, request time (basic ISO 8601), credential scope, hash of the canonical request. */
export function stringToSign(info: SignatureInfo, amzDate: string, canonical: string): string {
  const scope = `${info.scopeDate}/${info.region}/${info.service}/aws4_request`;
  return ["AWS4-HMAC-SHA256", amzDate, scope, sha256Hex(canonical)].join("\n");
}

export function computeSignature(secret: string, info: SignatureInfo, canonical: string): string {
  return crypto().createHmac("sha256", signingKey(secret, info.scopeDate, info.region, info.service)).update(stringToSign(info, info.amzDate ?? "", canonical)).digest("hex");
}

export function signaturesEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && crypto().timingSafeEqual(x, y);
}
