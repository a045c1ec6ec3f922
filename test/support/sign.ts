/**
 * Signing raw HTTP requests with the SDK's own SigV4 signer (@smithy/signature-v4),
 * for tests that need control the SDK clients do not give: a chosen signing
 * date, a body changed after signing, a presigned non-S3 URL.
 */
import { createHash, createHmac, type Hash, type Hmac } from "node:crypto";
import { SignatureV4 } from "@smithy/signature-v4";

function bytes(data: string | ArrayBuffer | ArrayBufferView): string | Buffer {
  if (typeof data === "string") return data;
  if (ArrayBuffer.isView(data)) return Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  return Buffer.from(data);
}

class NodeSha256 {
  private readonly hash: Hash | Hmac;
  constructor(secret?: string | ArrayBuffer | ArrayBufferView) {
    this.hash = secret ? createHmac("sha256", bytes(secret)) : createHash("sha256");
  }
  update(data: string | ArrayBuffer | ArrayBufferView): void {
    this.hash.update(bytes(data));
  }
  async digest(): Promise<Uint8Array> {
    return new Uint8Array(this.hash.digest());
  }
}

export interface RawRequest {
  method: string;
  path: string;
  query?: Record<string, string>;
  headers?: Record<string, string>;
  body?: string | Buffer;
}

export interface SigningOptions {
  service: string;
  region?: string;
  credentials: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
  signingDate?: Date;
  /** S3 signs the path as sent; other services encode it again. */
  uriEscapePath?: boolean;
}

function signer(options: SigningOptions): SignatureV4 {
  return new SignatureV4({
    service: options.service,
    region: options.region ?? "us-east-1",
    credentials: options.credentials,
    sha256: NodeSha256,
    uriEscapePath: options.uriEscapePath ?? options.service !== "s3",
    applyChecksum: options.service === "s3",
  });
}

function toHttpRequest(endpoint: string, request: RawRequest) {
  const url = new URL(endpoint);
  return {
    method: request.method,
    protocol: url.protocol,
    hostname: url.hostname,
    port: Number(url.port),
    path: request.path,
    query: request.query ?? {},
    headers: { host: url.host, ...(request.headers ?? {}) },
    body: request.body,
  };
}

export async function signRequest(endpoint: string, request: RawRequest, options: SigningOptions) {
  return signer(options).sign(toHttpRequest(endpoint, request), { signingDate: options.signingDate });
}

/** Signs, then sends (optionally with a different body than the one signed). */
export async function sendSigned(endpoint: string, request: RawRequest, options: SigningOptions & { sendBody?: string | Buffer }) {
  const signed = await signRequest(endpoint, request, options);
  return send(endpoint, signed.method, signed.path, signed.query as Record<string, string>, signed.headers, options.sendBody ?? request.body);
}

/** A presigned URL for any service. */
export async function presignUrl(endpoint: string, request: RawRequest, options: SigningOptions & { expiresIn: number }): Promise<string> {
  const signed = await signer(options).presign(toHttpRequest(endpoint, request), { expiresIn: options.expiresIn, signingDate: options.signingDate });
  const query = new URLSearchParams(signed.query as Record<string, string>).toString().replace(/\+/g, "%20");
  return `${endpoint}${signed.path}?${query}`;
}

export async function send(endpoint: string, method: string, path: string, query: Record<string, string>, headers: Record<string, string>, body?: string | Buffer) {
  const qs = new URLSearchParams(query).toString().replace(/\+/g, "%20");
  const { host: _host, ...rest } = headers;
  return fetch(`${endpoint}${path}${qs ? `?${qs}` : ""}`, { method, headers: rest, body: body as BodyInit | undefined });
}

/** The STS query body for an action. */
export function stsForm(action: string, extra: Record<string, string> = {}): string {
  return new URLSearchParams({ Action: action, Version: "2011-06-15", ...extra }).toString();
}
