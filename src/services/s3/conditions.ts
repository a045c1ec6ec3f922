/**
 * Conditional requests (If-Match, If-None-Match, If-(Un)Modified-Since and
 * their x-amz-copy-source-* twins) and byte ranges, as S3 evaluates them.
 */
import { S3Errors } from "./errors.js";
import type { ByteRange } from "./engine.js";
import type { StoredVersion } from "./store.js";

export interface ReadConditions {
  IfMatch?: string;
  IfNoneMatch?: string;
  IfModifiedSince?: Date;
  IfUnmodifiedSince?: Date;
}

/** Compares ETags ignoring quotes and weak markers; "*" matches any. */
export function etagMatches(header: string, etag: string): boolean {
  const bare = etag.replace(/^"|"$/g, "");
  return header.split(",").some((candidate) => {
    const c = candidate.trim().replace(/^W\//, "").replace(/^"|"$/g, "");
    return c === "*" || c === bare;
  });
}

/** Seconds precision, as HTTP dates carry. */
function seconds(date: Date): number {
  return Math.floor(date.getTime() / 1000);
}

/** GET/HEAD: 412 or 304 when a condition fails (RFC 7232 precedence, as S3 applies it). */
export function checkReadConditions(c: ReadConditions, version: StoredVersion): void {
  const modified = seconds(version.lastModified);
  if (c.IfMatch !== undefined) {
    if (!etagMatches(c.IfMatch, version.etag)) throw S3Errors.preconditionFailed("If-Match");
  } else if (c.IfUnmodifiedSince && modified > seconds(c.IfUnmodifiedSince)) {
    throw S3Errors.preconditionFailed("If-Unmodified-Since");
  }
  const notModified = () =>
    S3Errors.notModified({ etag: version.etag, "last-modified": version.lastModified.toUTCString() });
  if (c.IfNoneMatch !== undefined) {
    if (etagMatches(c.IfNoneMatch, version.etag)) throw notModified();
  } else if (c.IfModifiedSince && modified <= seconds(c.IfModifiedSince)) {
    throw notModified();
  }
}

export interface CopySourceConditions {
  CopySourceIfMatch?: string;
  CopySourceIfNoneMatch?: string;
  CopySourceIfModifiedSince?: Date;
  CopySourceIfUnmodifiedSince?: Date;
}

/** Copy-source conditions: any failure is 412 (S3 never answers 304 to a copy). */
export function checkCopySourceConditions(c: CopySourceConditions, version: StoredVersion): void {
  const modified = seconds(version.lastModified);
  if (c.CopySourceIfMatch !== undefined) {
    if (!etagMatches(c.CopySourceIfMatch, version.etag)) throw S3Errors.preconditionFailed("x-amz-copy-source-If-Match");
  } else if (c.CopySourceIfUnmodifiedSince && modified > seconds(c.CopySourceIfUnmodifiedSince)) {
    throw S3Errors.preconditionFailed("x-amz-copy-source-If-Unmodified-Since");
  }
  if (c.CopySourceIfNoneMatch !== undefined) {
    if (etagMatches(c.CopySourceIfNoneMatch, version.etag)) throw S3Errors.preconditionFailed("x-amz-copy-source-If-None-Match");
  } else if (c.CopySourceIfModifiedSince && modified <= seconds(c.CopySourceIfModifiedSince)) {
    throw S3Errors.preconditionFailed("x-amz-copy-source-If-Modified-Since");
  }
}

/** PUT / CompleteMultipartUpload / CopyObject: If-None-Match: * and If-Match against the current object. */
export function writeCondition(ifMatch: string | undefined, ifNoneMatch: string | undefined, key: string) {
  if (ifNoneMatch !== undefined && ifNoneMatch.trim() !== "*") {
    throw S3Errors.notImplementedHeader("If-None-Match");
  }
  if (ifMatch === undefined && ifNoneMatch === undefined) return undefined;
  return (current: StoredVersion | undefined) => {
    const exists = current !== undefined && !current.deleteMarker;
    if (ifNoneMatch !== undefined && exists) throw S3Errors.preconditionFailed("If-None-Match");
    if (ifMatch !== undefined) {
      if (!exists) throw S3Errors.noSuchKey(key);
      if (!etagMatches(ifMatch, current!.etag)) throw S3Errors.preconditionFailed("If-Match");
    }
  };
}

/**
 * A Range header against an object of `size` bytes: undefined when absent or
 * not a single byte range (S3 then sends the whole object), 416 when nothing
 * of it is satisfiable.
 */
export function parseRange(header: string | undefined, size: number): ByteRange | undefined {
  if (!header) return undefined;
  const match = /^\s*bytes\s*=\s*(\d*)\s*-\s*(\d*)\s*$/i.exec(header);
  if (!match || (match[1] === "" && match[2] === "")) return undefined;
  if (match[1] === "") {
    const suffix = Number(match[2]);
    if (suffix === 0) throw S3Errors.invalidRange(header, size);
    return { start: Math.max(0, size - suffix), end: size };
  }
  const start = Number(match[1]);
  const last = match[2] === "" ? size - 1 : Math.min(Number(match[2]), size - 1);
  if (match[2] !== "" && Number(match[2]) < start) return undefined;
  if (start >= size) throw S3Errors.invalidRange(header, size);
  return { start, end: last + 1 };
}

export function contentRange(range: ByteRange, size: number): string {
  return `bytes ${range.start}-${range.end - 1}/${size}`;
}
