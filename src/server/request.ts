/** Adapts node:http's IncomingMessage to the protocol layer's HttpRequest. */
import type { IncomingMessage, ServerResponse } from "node:http";
import { Readable } from "node:stream";
import { createRequire } from "node:module";
import { AwsError, CommonErrors } from "../core/errors.js";
import type { HttpRequest } from "../protocol/http.js";

export class NodeHttpRequest implements HttpRequest {
  readonly method: string;
  readonly rawPath: string;
  readonly query: Array<[string, string]>;
  readonly headers: Record<string, string | undefined>;
  private bodyPromise: Promise<Buffer> | undefined;
  private streamTaken = false;
  /** The bytes as sent, kept only while a Content-Encoding is being undone. */
  private rawChunks: Buffer[] | undefined;

  /** Set while a client that sent `Expect: 100-continue` still waits for the go-ahead. */
  private awaitingContinue = false;

  /**
   * `continueWith`: the response of a request that expects 100-continue. The go-ahead is sent only
   * when something first reads the body, so that a request refused before that (bad signature,
   * no such bucket, access denied) is answered with its error instead, as S3 does, and its body is
   * never sent.
   */
  constructor(
    private readonly incoming: IncomingMessage,
    continueWith?: ServerResponse,
  ) {
    if (continueWith) this.deferContinue(continueWith);
    this.method = (incoming.method ?? "GET").toUpperCase();
    const url = incoming.url ?? "/";
    const q = url.indexOf("?");
    this.rawPath = q >= 0 ? url.slice(0, q) : url;
    this.query = q >= 0 ? parseQueryString(url.slice(q + 1)) : [];
    this.headers = {};
    for (const [name, value] of Object.entries(incoming.headers)) {
      this.headers[name] = Array.isArray(value) ? value.join(",") : value;
    }
  }

  /** Whether Content-Encoding: gzip is request compression to undo (set once the service is known). */
  decodeContentEncoding = false;

  /** Content-Encoding gzip (CloudWatch's request compression) is undone here. */
  private decoded(): Readable {
    const encoding = (this.headers["content-encoding"] ?? "").toLowerCase();
    if (this.decodeContentEncoding && encoding.split(",").map((e) => e.trim()).includes("gzip")) {
      // zlib is loaded on the first compressed request, not at start-up.
      const gunzip = (createRequire(import.meta.url)("node:zlib") as typeof import("node:zlib")).createGunzip();
      this.incoming.on("error", (e) => gunzip.destroy(e));
      const raw: Buffer[] = (this.rawChunks = []);
      this.incoming.on("data", (chunk: Buffer) => raw.push(chunk));
      return this.incoming.pipe(gunzip);
    }
    return this.incoming;
  }

  readBody(limit = 64 * 1024 * 1024): Promise<Buffer> {
    if (this.bodyPromise) return this.bodyPromise;
    if (this.streamTaken) return Promise.reject(new Error("request body already consumed as a stream"));
    const declared = Number(this.headers["content-length"] ?? "0");
    if (declared > limit) {
      this.drain();
      return (this.bodyPromise = Promise.reject(CommonErrors.requestTooLarge(limit)));
    }
    this.bodyPromise = new Promise<Buffer>((resolve, reject) => {
      const chunks: Buffer[] = [];
      let size = 0;
      const source = this.decoded();
      source.on("data", (chunk: Buffer) => {
        size += chunk.length;
        if (size > limit) {
          source.destroy();
          reject(CommonErrors.requestTooLarge(limit));
          return;
        }
        chunks.push(chunk);
      });
      source.on("end", () => resolve(Buffer.concat(chunks)));
      source.on("error", (error) =>
        reject(error instanceof AwsError ? error : new AwsError("IncompleteBody", "The request body could not be read completely.", { status: 400 })),
      );
      source.on("aborted", () => reject(new AwsError("IncompleteBody", "The request body was cut short.", { status: 400 })));
    });
    return this.bodyPromise;
  }

  /** The body as sent, before any Content-Encoding is undone: what a SigV4 payload hash covers. */
  async rawBody(limit?: number): Promise<Buffer> {
    const body = await this.readBody(limit);
    return this.rawChunks ? Buffer.concat(this.rawChunks) : body;
  }

  bodyStream(): Readable {
    if (this.bodyPromise) {
      const promise = this.bodyPromise;
      return Readable.from((async function* () { yield await promise; })());
    }
    this.streamTaken = true;
    return this.decoded();
  }

  /** Drains an unread body so that the connection can be reused. */
  drain(): void {
    // A body never asked for is never sent: node closes such a connection after the answer.
    if (this.awaitingContinue) return;
    if (!this.bodyPromise && !this.streamTaken) this.incoming.resume();
  }

  /** Sends 100 Continue on the first read of the body (every consumer's read reaches `_read`). */
  private deferContinue(res: ServerResponse): void {
    const incoming = this.incoming as IncomingMessage & { _read(size: number): void };
    const read = incoming._read;
    this.awaitingContinue = true;
    incoming._read = (size: number) => {
      incoming._read = read;
      this.awaitingContinue = false;
      if (!res.headersSent) res.writeContinue();
      read.call(incoming, size);
    };
  }

  get socketAddress(): string {
    return this.incoming.socket.remoteAddress ?? "";
  }
}

function parseQueryString(text: string): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  for (const part of text.split("&")) {
    if (!part) continue;
    const eq = part.indexOf("=");
    const key = eq < 0 ? part : part.slice(0, eq);
    const value = eq < 0 ? "" : part.slice(eq + 1);
    out.push([decode(key), decode(value)]);
  }
  return out;
}

function decode(text: string): string {
  const spaced = text.includes("+") ? text.replace(/\+/g, " ") : text;
  try {
    return decodeURIComponent(spaced);
  } catch {
    return spaced;
  }
}
