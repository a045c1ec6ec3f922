/** The HTTP exchange as the protocols see it, independent of node:http. */
import type { Readable } from "node:stream";

export interface HttpRequest {
  method: string;
  /** The raw (still percent-encoded) path, without the query string. */
  rawPath: string;
  /** Query parameters in order; a key may repeat. */
  query: Array<[string, string]>;
  /** Header names in lower case. */
  headers: Record<string, string | undefined>;
  /** Reads the whole body (decoded from aws-chunked or gzip where relevant) up to limit bytes. */
  readBody(limit?: number): Promise<Buffer>;
  /** The whole body as sent, before Content-Encoding (gzip) is undone; defaults to readBody. */
  rawBody?(limit?: number): Promise<Buffer>;
  /** The body as a stream, for streaming members (S3 PutObject, EBS PutSnapshotBlock). */
  bodyStream(): Readable;
}

/**
 * A streamed body may carry a method under this symbol that writes itself to
 * the response (and ends it) instead of being piped: bodies whose bytes live in
 * memory that is reused once the socket has taken them.
 */
export const SEND_TO = Symbol.for("stratus.sendTo");

export interface HttpResponse {
  status: number;
  headers: Record<string, string | string[]>;
  body?: Buffer | string | Readable;
}

export function queryValue(request: HttpRequest, name: string): string | undefined {
  for (const [key, value] of request.query) if (key === name) return value;
  return undefined;
}

export function queryValues(request: HttpRequest, name: string): string[] {
  return request.query.filter(([key]) => key === name).map(([, value]) => value);
}

export function hasQuery(request: HttpRequest, name: string): boolean {
  return request.query.some(([key]) => key === name);
}

/** Decodes an application/x-www-form-urlencoded string into ordered pairs. */
export function parseForm(text: string): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  if (!text) return out;
  for (const part of text.split("&")) {
    if (!part) continue;
    const eq = part.indexOf("=");
    const rawKey = eq < 0 ? part : part.slice(0, eq);
    const rawValue = eq < 0 ? "" : part.slice(eq + 1);
    out.push([decodeFormComponent(rawKey), decodeFormComponent(rawValue)]);
  }
  return out;
}

function decodeFormComponent(text: string): string {
  const spaced = text.includes("+") ? text.replace(/\+/g, " ") : text;
  try {
    return decodeURIComponent(spaced);
  } catch {
    return spaced;
  }
}

/** Decodes a query-string component: like a form component but '+' stays literal only where clients escape it. */
export function decodeQueryComponent(text: string): string {
  return decodeFormComponent(text);
}
