/**
 * A lean S3 client for the benchmark: node:http with keep-alive and SigV4
 * (UNSIGNED-PAYLOAD), so that the client costs little next to the server it
 * measures. Works against Stratus, moto_server and the raw baseline alike.
 */
import { createHash, createHmac } from "node:crypto";
import http from "node:http";
import net from "node:net";
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
  /** Body bytes received (for a sink GET, whose body is not kept). */
  size: number;
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

  request(method: string, rawPath: string, options: { query?: string; body?: Buffer | Readable; length?: number; headers?: Record<string, string> } = {}): Promise<Response> {
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
          chunks.push(c);
        });
        res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks), size }));
        res.on("error", reject);
      });
      req.on("error", reject);
      const body = options.body;
      if (body === undefined) req.end();
      else if (Buffer.isBuffer(body)) req.end(body);
      else body.pipe(req);
    });
  }

  private readonly sinkBuffer = Buffer.allocUnsafe(256 << 10);

  /**
   * A GET whose body is only counted, on a connection of its own read into one
   * reused buffer: node:http's client allocates a buffer per 64 KiB read, which
   * costs it more than some servers spend sending the bytes.
   */
  sinkGet(rawPath: string): Promise<Response> {
    const path = encodePath(rawPath);
    const signed = this.sign("GET", path, "", {});
    const head = `GET ${path} HTTP/1.1\r\n${Object.entries(signed).map(([k, v]) => `${k}: ${v}\r\n`).join("")}connection: close\r\n\r\n`;
    return new Promise((resolve, reject) => {
      let pending: Buffer | undefined;
      let status = 0;
      let length = -1;
      let received = 0;
      const headers: http.IncomingHttpHeaders = {};
      let done = false;
      const finish = (error?: Error) => {
        if (done) return;
        done = true;
        socket.destroy();
        if (error) reject(error);
        else resolve({ status, headers, body: Buffer.alloc(0), size: received });
      };
      const socket = net.connect({
        host: this.host,
        port: this.port,
        onread: {
          buffer: this.sinkBuffer,
          callback: (n: number, buffer: Uint8Array) => {
            if (status === 0) {
              const bytes = pending ? Buffer.concat([pending, Buffer.from(buffer.subarray(0, n))]) : Buffer.from(buffer.buffer, buffer.byteOffset, n);
              const end = bytes.indexOf("\r\n\r\n");
              if (end < 0) {
                pending = Buffer.from(bytes);
                return true;
              }
              const lines = bytes.subarray(0, end).toString("latin1").split("\r\n");
              status = Number(lines[0].split(" ")[1]);
              for (const line of lines.slice(1)) {
                const colon = line.indexOf(":");
                headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
              }
              if (headers["transfer-encoding"]) return finish(new Error("sinkGet: chunked responses are not supported")), false;
              length = headers["content-length"] === undefined ? -1 : Number(headers["content-length"]);
              received = bytes.length - (end + 4);
            } else received += n;
            if (length >= 0 && received >= length) finish();
            return true;
          },
        },
      });
      socket.on("error", (error) => finish(error));
      socket.on("end", () => (length < 0 ? finish() : finish(new Error(`sinkGet: connection closed after ${received} of ${length} bytes`))));
      socket.write(head);
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
