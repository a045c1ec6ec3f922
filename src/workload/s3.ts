/** Reads objects from S3 (or Stratus), path-style, signed with SigV4. */
import { createWriteStream } from "node:fs";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import type { ReadableStream } from "node:stream/web";
import type { CredentialSource } from "./credentials.js";
import { signRequest, uriEncode } from "./sigv4.js";

/** An S3 error answer: its code (NoSuchKey, AccessDenied...) and status. */
export class S3Error extends Error {
  constructor(readonly code: string, readonly status: number, message: string) {
    super(message);
  }
}

export interface S3Object {
  /** The object's user metadata (x-amz-meta-*), names lowercased. */
  metadata: Record<string, string>;
  size: number;
}

export class S3Reader {
  constructor(private readonly options: { endpoint: string; region: string; credentials: CredentialSource }) {}

  /** Writes the object to `file`. */
  async download(bucket: string, key: string, file: string): Promise<S3Object> {
    const response = await this.get(bucket, key);
    await pipeline(Readable.fromWeb(response.body as ReadableStream), createWriteStream(file));
    return describe(response);
  }

  /** The object's bytes (for small objects), or undefined if it does not exist. */
  async readIfExists(bucket: string, key: string, limit = 1 << 20): Promise<Buffer | undefined> {
    try {
      const response = await this.get(bucket, key);
      const data = Buffer.from(await response.arrayBuffer());
      if (data.length > limit) throw new Error(`s3://${bucket}/${key} is larger than ${limit} bytes`);
      return data;
    } catch (error) {
      if (error instanceof S3Error && error.code === "NoSuchKey") return undefined;
      throw error;
    }
  }

  private async get(bucket: string, key: string): Promise<Response> {
    const base = this.options.endpoint.replace(/\/+$/, "");
    const url = new URL(`${base}/${uriEncode(bucket)}/${key.split("/").map(uriEncode).join("/")}`);
    const credentials = await this.options.credentials.get();
    const headers = signRequest({ method: "GET", url, region: this.options.region, service: "s3", credentials, now: new Date() });
    let response: Response;
    try {
      response = await fetch(url, { headers });
    } catch (error) {
      throw new Error(`S3 at ${base} does not answer (${(error as Error).cause ?? (error as Error).message})`);
    }
    if (response.ok && response.body) return response;
    const text = await response.text();
    const code = /<Code>([^<]*)<\/Code>/.exec(text)?.[1] ?? `HTTP${response.status}`;
    const message = /<Message>([^<]*)<\/Message>/.exec(text)?.[1] ?? response.statusText;
    throw new S3Error(code, response.status, `s3://${bucket}/${key}: ${code} (${message})`);
  }
}

function describe(response: Response): S3Object {
  const metadata: Record<string, string> = {};
  response.headers.forEach((value, name) => {
    if (name.startsWith("x-amz-meta-")) metadata[name.slice("x-amz-meta-".length)] = value;
  });
  return { metadata, size: Number(response.headers.get("content-length") ?? 0) };
}
