/**
 * Hand-made S3 requests for what SDKs never send (wrong payload hashes, bare
 * virtual-host headers, malformed chunks): SigV4-signed with node:crypto.
 */
import { createHash, createHmac } from "node:crypto";
import http from "node:http";
import type { RunningStratus } from "../../src/index.js";

export interface RawResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

function encodePath(path: string): string {
  return path
    .split("/")
    .map((s) => encodeURIComponent(s).replace(/[!'()*]/g, (c) => "%" + c.charCodeAt(0).toString(16).toUpperCase()))
    .join("/");
}

export interface RawOptions {
  query?: string;
  headers?: Record<string, string>;
  body?: Buffer | string;
  /** x-amz-content-sha256; defaults to the body's real hash. */
  payloadHash?: string;
  /** Leave the request unsigned (anonymous). */
  anonymous?: boolean;
  accessKeyId?: string;
  secretAccessKey?: string;
  region?: string;
  /** The path as sent, already encoded (for virtual-host tests). */
  rawPath?: string;
}

export function signHeaders(
  method: string,
  path: string,
  query: string,
  headers: Record<string, string>,
  payloadHash: string,
  credentials: { accessKeyId: string; secretAccessKey: string; region: string },
  now = new Date(),
): Record<string, string> {
  const amzDate = now.toISOString().replace(/[-:]/g, "").replace(/\.\d+/, "");
  const date = amzDate.slice(0, 8);
  const all: Record<string, string> = { ...headers, "x-amz-date": amzDate, "x-amz-content-sha256": payloadHash };
  const names = Object.keys(all).map((n) => n.toLowerCase()).sort();
  const lower: Record<string, string> = {};
  for (const [k, v] of Object.entries(all)) lower[k.toLowerCase()] = v;
  const canonicalQuery = query
    .split("&")
    .filter(Boolean)
    .map((p) => (p.includes("=") ? p : p + "="))
    .sort()
    .join("&");
  const canonical = [method, path, canonicalQuery, names.map((n) => `${n}:${lower[n].trim()}\n`).join(""), names.join(";"), payloadHash].join("\n");
  const scope = `${date}/${credentials.region}/s3/aws4_request`;
  const toSign = ["AWS4-HMAC-SHA256", amzDate, scope, createHash("sha256").update(canonical).digest("hex")].join("\n");
  const kDate = createHmac("sha256", "AWS4" + credentials.secretAccessKey).update(date).digest();
  const kRegion = createHmac("sha256", kDate).update(credentials.region).digest();
  const kService = createHmac("sha256", kRegion).update("s3").digest();
  const kSigning = createHmac("sha256", kService).update("aws4_request").digest();
  const signature = createHmac("sha256", kSigning).update(toSign).digest("hex");
  return {
    ...all,
    authorization: `AWS4-HMAC-SHA256 Credential=${credentials.accessKeyId}/${scope}, SignedHeaders=${names.join(";")}, Signature=${signature}`,
  };
}

export function rawS3(stratus: RunningStratus, method: string, path: string, options: RawOptions = {}): Promise<RawResponse> {
  const url = new URL(stratus.endpoint);
  const rawPath = options.rawPath ?? encodePath(path);
  const query = options.query ?? "";
  const body = options.body === undefined ? undefined : Buffer.from(options.body);
  const headers: Record<string, string> = { host: `${url.hostname}:${url.port}`, ...options.headers };
  if (body) headers["content-length"] = String(body.length);
  const finalHeaders = options.anonymous
    ? headers
    : signHeaders(method, rawPath, query, headers, options.payloadHash ?? createHash("sha256").update(body ?? Buffer.alloc(0)).digest("hex"), {
        accessKeyId: options.accessKeyId ?? "test",
        secretAccessKey: options.secretAccessKey ?? "test",
        region: options.region ?? "us-east-1",
      });
  return new Promise((resolve, reject) => {
    const req = http.request({ host: url.hostname, port: url.port, method, path: query ? `${rawPath}?${query}` : rawPath, headers: finalHeaders }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c) => chunks.push(c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString("utf8") }));
      res.on("error", reject);
    });
    req.on("error", reject);
    req.end(body);
  });
}

/** Encodes a body as signed aws-chunked (STREAMING-AWS4-HMAC-SHA256-PAYLOAD) and PUTs it. */
export function signedChunkedPut(
  stratus: RunningStratus,
  path: string,
  chunks: Buffer[],
  credentials: { accessKeyId: string; secretAccessKey: string },
  options: { tamper?: boolean; headers?: Record<string, string> } = {},
): Promise<RawResponse> {
  const url = new URL(stratus.endpoint);
  const rawPath = encodePath(path);
  const now = new Date();
  const decoded = chunks.reduce((n, c) => n + c.length, 0);
  const sizes = [...chunks.map((c) => c.length), 0];
  // The encoded length is known before signing: signatures are 64 hex characters.
  const encodedLength = sizes.reduce((n, size) => n + size.toString(16).length + ";chunk-signature=".length + 64 + 2 + size + 2, 0);
  const headers = signHeaders(
    "PUT",
    rawPath,
    "",
    {
      host: `${url.hostname}:${url.port}`,
      "content-encoding": "aws-chunked",
      "x-amz-decoded-content-length": String(decoded),
      "content-length": String(encodedLength),
      ...options.headers,
    },
    "STREAMING-AWS4-HMAC-SHA256-PAYLOAD",
    { ...credentials, region: "us-east-1" },
    now,
  );
  const amzDate = headers["x-amz-date"];
  const date = amzDate.slice(0, 8);
  const scope = `${date}/us-east-1/s3/aws4_request`;
  const kDate = createHmac("sha256", "AWS4" + credentials.secretAccessKey).update(date).digest();
  const kSigning = ["us-east-1", "s3", "aws4_request"].reduce((k, part) => createHmac("sha256", k).update(part).digest(), kDate);
  let previous = /Signature=([0-9a-f]+)/.exec(headers.authorization)![1];
  const emptyHash = createHash("sha256").update("").digest("hex");
  const parts: Buffer[] = [];
  for (const data of [...chunks, Buffer.alloc(0)]) {
    const toSign = ["AWS4-HMAC-SHA256-PAYLOAD", amzDate, scope, previous, emptyHash, createHash("sha256").update(data).digest("hex")].join("\n");
    const signature = createHmac("sha256", kSigning).update(toSign).digest("hex");
    previous = signature;
    const payload = options.tamper && data.length > 0 ? Buffer.from(data.map((b) => b ^ 1)) : data;
    parts.push(Buffer.from(`${data.length.toString(16)};chunk-signature=${signature}\r\n`), payload, Buffer.from("\r\n"));
  }
  const body = Buffer.concat(parts);
  return new Promise((resolve, reject) => {
    const req = http.request({ host: url.hostname, port: url.port, method: "PUT", path: rawPath, headers }, (res) => {
      const out: Buffer[] = [];
      res.on("data", (c) => out.push(c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(out).toString("utf8") }));
    });
    req.on("error", reject);
    req.end(body);
  });
}

/** PUTs a body as unsigned aws-chunked with a trailing checksum header (what SDKs send). */
export function unsignedTrailerPut(
  stratus: RunningStratus,
  path: string,
  chunks: Buffer[],
  trailer: { name: string; value: string },
  options: { decodedLength?: number; truncate?: boolean } = {},
): Promise<RawResponse> {
  const parts: Buffer[] = [];
  for (const data of chunks) parts.push(Buffer.from(`${data.length.toString(16)}\r\n`), data, Buffer.from("\r\n"));
  parts.push(Buffer.from(`0\r\n${trailer.name}:${trailer.value}\r\n\r\n`));
  let body = Buffer.concat(parts);
  if (options.truncate) body = body.subarray(0, body.length - 12);
  return rawS3(stratus, "PUT", path, {
    body,
    payloadHash: "STREAMING-UNSIGNED-PAYLOAD-TRAILER",
    headers: {
      "content-encoding": "aws-chunked",
      "x-amz-trailer": trailer.name,
      "x-amz-decoded-content-length": String(options.decodedLength ?? chunks.reduce((n, c) => n + c.length, 0)),
    },
  });
}

/**
 * A PUT that says `Expect: 100-continue` and sends its body only on the go-ahead, as SDKs do for
 * large bodies: reports whether the go-ahead came and the final answer.
 */
export function putExpectingContinue(
  stratus: RunningStratus,
  path: string,
  body: Buffer,
  options: { anonymous?: boolean; accessKeyId?: string; secretAccessKey?: string } = {},
): Promise<RawResponse & { continued: boolean }> {
  const url = new URL(stratus.endpoint);
  const rawPath = encodePath(path);
  const headers: Record<string, string> = { host: `${url.hostname}:${url.port}`, "content-length": String(body.length), expect: "100-continue" };
  const finalHeaders = options.anonymous
    ? headers
    : signHeaders("PUT", rawPath, "", headers, createHash("sha256").update(body).digest("hex"), {
        accessKeyId: options.accessKeyId ?? "test",
        secretAccessKey: options.secretAccessKey ?? "test",
        region: "us-east-1",
      });
  return new Promise((resolve, reject) => {
    let continued = false;
    const req = http.request({ host: url.hostname, port: url.port, method: "PUT", path: rawPath, headers: finalHeaders, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c) => chunks.push(c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString("utf8"), continued }));
      res.on("error", reject);
    });
    req.on("continue", () => {
      continued = true;
      req.end(body);
    });
    req.on("error", reject);
    req.flushHeaders();
  });
}
