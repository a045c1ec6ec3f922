/** Helpers the object operations share: resolving versions, describing them, taking in bodies. */
import type { Readable } from "node:stream";
import type { Cloud } from "../../cloud.js";
import { readSignature, signingKey } from "../../server/sigv4.js";
import type { CallContext } from "../types.js";
import { checkContentMd5, payloadSha256, requestedChecksum, type BodyClaims } from "./body.js";
import { AwsChunkedDecoder, isAwsChunked } from "./chunked.js";
import { checksumMember } from "./checksums.js";
import { isValidVersionId } from "./engine.js";
import { S3Errors } from "./errors.js";
import type { BucketRecord, EncryptionRecord } from "./hooks.js";
import type { S3Store, StoredVersion } from "./store.js";
import { ARCHIVE_CLASSES } from "./validation.js";

export function checkVersionId(versionId: string | undefined): void {
  if (versionId !== undefined && !isValidVersionId(versionId)) {
    throw S3Errors.invalidArgument("Invalid version id specified", "versionId", versionId);
  }
}

/**
 * x-amz-version-id of a write (PUT, POST, copy, CompleteMultipartUpload): only a versioning-enabled
 * bucket names the new version; a suspended one stores it as the "null" version and says nothing.
 */
export function writtenVersionId(bucket: BucketRecord, version: StoredVersion): string | undefined {
  return bucket.versioning === "Enabled" ? version.versionId : undefined;
}

/** The version a GET/HEAD/copy names: the latest, or a given version id; delete markers answer as S3 does. */
export function resolveVersion(store: S3Store, bucket: BucketRecord, key: string, versionId: string | undefined, method: string): StoredVersion {
  checkVersionId(versionId);
  if (versionId !== undefined) {
    const version = store.version(bucket.name, key, versionId);
    if (!version) throw S3Errors.noSuchVersion(key, versionId);
    if (version.deleteMarker) {
      throw S3Errors.methodNotAllowed(method, "DeleteMarker", {
        "x-amz-delete-marker": "true",
        "x-amz-version-id": version.versionId,
        "last-modified": version.lastModified.toUTCString(),
        allow: "DELETE",
      });
    }
    return version;
  }
  const version = store.latest(bucket.name, key);
  if (!version) throw S3Errors.noSuchKey(key);
  if (version.deleteMarker) {
    throw S3Errors.noSuchKey(key, { "x-amz-delete-marker": "true", ...(bucket.versioning ? { "x-amz-version-id": version.versionId } : {}) });
  }
  return version;
}

/**
 * Archived objects (GLACIER, DEEP_ARCHIVE) can be read only while a restored
 * copy exists; Intelligent-Tiering objects in an archive tier not at all
 * (a restore takes them out of it).
 */
export function checkReadable(version: StoredVersion): void {
  const archiveTier = (version.ext.tiering as { archive?: string } | undefined)?.archive;
  if (archiveTier) throw S3Errors.invalidObjectState(version.storageClass, archiveTier);
  if (!ARCHIVE_CLASSES.has(version.storageClass)) return;
  const restore = version.ext.restore as { ongoing?: boolean } | undefined;
  if (!restore || restore.ongoing) throw S3Errors.invalidObjectState(version.storageClass);
}

/** Response fields describing a version (GET, HEAD). */
/** The version's ext key holding its parts' checksums (multipart uploads with a checksum algorithm). */
export const PART_CHECKSUMS = "partChecksums";

/** A part's checksum, in the upload's algorithm, when the object kept them. */
export function partChecksum(version: StoredVersion, partNumber: number): string | undefined {
  const list = version.ext[PART_CHECKSUMS];
  return Array.isArray(list) && typeof list[partNumber - 1] === "string" ? (list[partNumber - 1] as string) : undefined;
}

export function describeVersion(version: StoredVersion, bucket: BucketRecord, checksumMode: boolean): Record<string, unknown> {
  const out: Record<string, unknown> = {
    ETag: version.etag,
    LastModified: version.lastModified,
    ContentLength: version.size,
    ContentType: version.contentType ?? "binary/octet-stream",
    ContentEncoding: version.contentEncoding,
    ContentDisposition: version.contentDisposition,
    ContentLanguage: version.contentLanguage,
    CacheControl: version.cacheControl,
    Expires: version.expires,
    WebsiteRedirectLocation: version.websiteRedirectLocation,
    Metadata: version.metadata,
    StorageClass: version.storageClass === "STANDARD" ? undefined : version.storageClass,
    VersionId: bucket.versioning ? version.versionId : undefined,
    TagCount: version.tags.length || undefined,
    ReplicationStatus: version.replicationStatus,
    AcceptRanges: "bytes",
    ...encryptionFields(version.encryption),
  };
  if (checksumMode && version.checksum) Object.assign(out, checksumFields(version.checksum.algorithm, version.checksum.value, version.checksum.type));
  return out;
}

export function encryptionFields(record: EncryptionRecord | undefined): Record<string, unknown> {
  if (!record) return {};
  return {
    ServerSideEncryption: record.ServerSideEncryption,
    SSEKMSKeyId: record.SSEKMSKeyId,
    BucketKeyEnabled: record.BucketKeyEnabled,
    SSECustomerAlgorithm: record.SSECustomerAlgorithm,
    SSECustomerKeyMD5: record.SSECustomerKeyMD5,
  };
}

export function checksumFields(algorithm: string, value: string, type?: string): Record<string, unknown> {
  return { [checksumMember(algorithm)]: value, ChecksumType: type };
}

/** What a write request claims about its body, with S3's requirements on lengths. */
export function bodyClaims(input: Record<string, unknown>, ctx: CallContext, maxSize: number): BodyClaims {
  const headers = ctx.request.headers;
  const chunked = isAwsChunked(headers);
  const length = input.ContentLength as number | undefined;
  if (chunked ? headers["x-amz-decoded-content-length"] === undefined : headers["content-length"] === undefined) {
    throw S3Errors.missingContentLength();
  }
  if (length !== undefined && length > maxSize) throw S3Errors.entityTooLarge(length, maxSize);
  const checksum = requestedChecksum(input, headers);
  return {
    length,
    contentMd5: checkContentMd5(input.ContentMD5 as string | undefined),
    sha256: payloadSha256(headers),
    checksumAlgorithm: checksum.algorithm,
    checksumValue: checksum.value,
    maxSize,
  };
}

/** In strict auth mode, signed aws-chunked bodies have every chunk's signature checked. */
export function verifyChunks(body: Readable, ctx: CallContext, cloud: Cloud): void {
  if (!(body instanceof AwsChunkedDecoder) || !body.signed || cloud.options.auth !== "strict") return;
  const info = readSignature(ctx.request);
  if (!info || info.presigned || !info.amzDate) return;
  const secret = cloud.identity.secretFor(info.accessKeyId, cloud.clock.now());
  if (!secret) return;
  body.verifyWith({
    signingKey: signingKey(secret, info.scopeDate, info.region, info.service),
    amzDate: info.amzDate,
    scope: `${info.scopeDate}/${info.region}/${info.service}/aws4_request`,
    seedSignature: info.signature,
  });
}

/** The response-* query overrides of GetObject (presigned downloads use them). */
export function responseOverrides(input: Record<string, unknown>, out: Record<string, unknown>): void {
  const pairs: Array<[string, string]> = [
    ["ResponseContentType", "ContentType"],
    ["ResponseContentLanguage", "ContentLanguage"],
    ["ResponseContentDisposition", "ContentDisposition"],
    ["ResponseContentEncoding", "ContentEncoding"],
    ["ResponseCacheControl", "CacheControl"],
    ["ResponseExpires", "Expires"],
  ];
  for (const [from, to] of pairs) if (input[from] !== undefined) out[to] = input[from];
}

/** "bucket/key[?versionId=...]", URL-encoded, optionally with a leading slash. */
export function parseCopySource(value: string): { bucket: string; key: string; versionId?: string } {
  let text = value;
  let versionId: string | undefined;
  const q = text.indexOf("?");
  if (q >= 0) {
    for (const pair of text.slice(q + 1).split("&")) {
      const [k, v = ""] = pair.split("=");
      if (k === "versionId") versionId = safeDecode(v);
    }
    text = text.slice(0, q);
  }
  text = safeDecode(text);
  if (text.startsWith("/")) text = text.slice(1);
  const slash = text.indexOf("/");
  if (slash <= 0 || slash === text.length - 1) {
    throw S3Errors.invalidArgument("Invalid copy source object key", "x-amz-copy-source", value);
  }
  return { bucket: text.slice(0, slash), key: text.slice(slash + 1), versionId };
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    throw S3Errors.invalidArgument("Invalid copy source encoding", "x-amz-copy-source", text);
  }
}

/** The descriptive headers a write request sets on its object. */
export function contentHeadersOf(input: Record<string, unknown>) {
  // Expires is a string in the model: stored as sent, echoed as sent.
  const expires = input.Expires instanceof Date ? input.Expires.toUTCString() : (input.Expires as string | undefined);
  return {
    contentType: input.ContentType as string | undefined,
    contentEncoding: input.ContentEncoding as string | undefined,
    contentDisposition: input.ContentDisposition as string | undefined,
    contentLanguage: input.ContentLanguage as string | undefined,
    cacheControl: input.CacheControl as string | undefined,
    expires,
    websiteRedirectLocation: input.WebsiteRedirectLocation as string | undefined,
  };
}
