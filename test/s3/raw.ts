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
