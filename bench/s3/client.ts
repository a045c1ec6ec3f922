/**
 * A lean S3 client for the benchmark: node:http with keep-alive and SigV4
 * (UNSIGNED-PAYLOAD), so that the client costs little next to the server it
 * measures. Works against Stratus, moto_server and the raw baseline alike.
 */
import { createHash, createHmac } from "node:crypto";
import http from "node:http";
import type { Readable } from "node:stream";

const REGION = "us-east-1";
const KEY = "bench";
const SECRET = "bench";

function hmac(key: Buffer | string, data: string): Buffer {
  return createHmac("sha256", key).update(data).digest();
}

let cachedDate = "";
let cachedKey: Buffer = Buffer.alloc(0);
function signingKey(date: string): Buffer {
  if (date !== cachedDate) {
    cachedDate = date;
    cachedKey = hmac(hmac(hmac(hmac("AWS4" + SECRET, date), REGION), "s3"), "aws4_request");
  }
  return cachedKey;
}

function encodePath(path: string): string {
  return path
    .split("/")
    .map((s) => encodeURIComponent(s).replace(/[!'()*]/g, (c) => "%" + c.charCodeAt(0).toString(16).toUpperCase()))
    .join("/");
}

export interface Response {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

export class BenchClient {
  readonly agent: http.Agent;
  constructor(
    readonly host: string,
    readonly port: number,
    maxSockets = 64,
  ) {
    this.agent = new http.Agent({ keepAlive: true, maxSockets });
  }

  private sign(method: string, path: string, query: string, extra: Record<string, string>): Record<string, string> {
    const now = new Date().toISOString().replace(/[-:]/g, "").replace(/\.\d+/, "");
    const date = now.slice(0, 8);
    const headers: Record<string, string> = { host: `${this.host}:${this.port}`, "x-amz-date": now, "x-amz-content-sha256": "UNSIGNED-PAYLOAD", ...extra };
    const names = Object.keys(headers).map((h) => h.toLowerCase()).sort();
    const canonicalQuery = query
      .split("&")
      .filter(Boolean)
      .map((p) => (p.includes("=") ? p : p + "="))
      .sort()
      .join("&");
    const canonical = [method, path, canonicalQuery, names.map((n) => `${n}:${headers[n]}\n`).join(""), names.join(";"), "UNSIGNED-PAYLOAD"].join("\n");
    const scope = `${date}/${REGION}/s3/aws4_request`;
    const toSign = ["AWS4-HMAC-SHA256", now, scope, createHash("sha256").update(canonical).digest("hex")].join("\n");
    const signature = createHmac("sha256", signingKey(date)).update(toSign).digest("hex");
    headers.authorization = `AWS4-HMAC-SHA256 Credential=${KEY}/${scope}, SignedHeaders=${names.join(";")}, Signature=${signature}`;
    return headers;
  }

  request(method: string, rawPath: string, options: { query?: string; body?: Buffer | Readable; length?: number; headers?: Record<string, string>; sink?: boolean } = {}): Promise<Response> {
    const path = encodePath(rawPath);
    const query = options.query ?? "";
    const extra: Record<string, string> = { ...options.headers };
    if (options.body !== undefined) extra["content-length"] = String(options.length ?? (options.body as Buffer).length);
    const headers = this.sign(method, path, query, extra);
    return new Promise((resolve, reject) => {
      const req = http.request({ host: this.host, port: this.port, method, path: query ? `${path}?${query}` : path, headers, agent: this.agent }, (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on("data", (c: Buffer) => {
          size += c.length;
          if (!options.sink) chunks.push(c);
        });
        res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: options.sink ? Buffer.alloc(size) : Buffer.concat(chunks) }));
        res.on("error", reject);
      });
      req.on("error", reject);
      const body = options.body;
      if (body === undefined) req.end();
      else if (Buffer.isBuffer(body)) req.end(body);
      else body.pipe(req);
    });
  }

  async ok(method: string, path: string, options: Parameters<BenchClient["request"]>[2] = {}): Promise<Response> {
    const response = await this.request(method, path, options);
    if (response.status >= 300) throw new Error(`${method} ${path} → ${response.status}: ${response.body.toString().slice(0, 300)}`);
    return response;
  }

  close(): void {
    this.agent.destroy();
  }
}
