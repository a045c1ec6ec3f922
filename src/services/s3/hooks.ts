/**
 * The seams where S3's behaviour beyond the data plane plugs in (s3x):
 * at-rest encryption of object bytes, authorization of each request, object
 * events (for replication and lifecycle), extra response headers, and write
 * policies (Object Lock's checks and per-version retention).
 *
 * The s3 core calls every hook on its own code paths; the defaults here keep
 * bytes in the clear, let a signed account use its own buckets only, and
 * ignore events. An extension installs its implementations on
 * `S3Provider.hooks` from a module listed in `modules.ts`.
 */
import { AwsError } from "../../core/errors.js";
import type { CallContext } from "../types.js";

// ---------------------------------------------------------------------------
// What the core shows extensions of its state.

export type VersioningState = "Enabled" | "Suspended";

export interface BucketRecord {
  name: string;
  /** The owning account. */
  account: string;
  region: string;
  created: Date;
  /** Undefined until versioning was first configured. */
  versioning?: VersioningState;
  /** Whether MFA delete is on (stored and echoed only). */
  mfaDelete?: "Enabled" | "Disabled";
}

/** Response-visible encryption facts plus codec-private material (s3x owns the content). */
export interface EncryptionRecord {
  ServerSideEncryption?: "AES256" | "aws:kms" | "aws:kms:dsse" | "aws:fsx";
  SSEKMSKeyId?: string;
  SSEKMSEncryptionContext?: string;
  BucketKeyEnabled?: boolean;
  SSECustomerAlgorithm?: string;
  SSECustomerKeyMD5?: string;
  /** Anything else the codec needs to decrypt later (wrapped data key, IV...). JSON only. */
  [field: string]: unknown;
}

export interface ChecksumRecord {
  /** CRC32, CRC32C, CRC64NVME, SHA1, SHA256. */
  algorithm: string;
  type: "FULL_OBJECT" | "COMPOSITE";
  /** base64, as on the wire ("...-N" for composite checksums). */
  value: string;
}

export type ReplicationStatus = "PENDING" | "COMPLETED" | "FAILED" | "REPLICA";

/** One version of one key: an object or a delete marker. */
export interface ObjectVersion {
  bucket: string;
  key: string;
  /** "null" for versions written while versioning was never enabled or is suspended. */
  versionId: string;
  isLatest: boolean;
  deleteMarker: boolean;
  size: number;
  /** Quoted, as on the wire: "\"md5hex\"" or "\"md5hex-N\"". */
  etag: string;
  lastModified: Date;
  storageClass: string;
  /** The owning account (the writer). */
  owner: string;
  contentType?: string;
  contentEncoding?: string;
  contentDisposition?: string;
  contentLanguage?: string;
  cacheControl?: string;
  /** The Expires header as the client sent it. */
  expires?: string;
  websiteRedirectLocation?: string;
  /** User metadata (x-amz-meta-*), keys in lower case. */
  metadata: Record<string, string>;
  tags: Array<{ Key: string; Value: string }>;
  checksum?: ChecksumRecord;
  /** Number of parts for multipart objects. */
  partsCount?: number;
  encryption?: EncryptionRecord;
  replicationStatus?: ReplicationStatus;
  /**
   * Per-version state that extensions own (ACL, retention...). JSON only. One
   * field is a contract with the core: `ext.restore = { ongoing: boolean,
   * expiry?: string }`; a GLACIER/DEEP_ARCHIVE version is readable while a
   * restored copy exists (restore present, not ongoing). Another:
   * `ext.tiering.archive` (an Intelligent-Tiering archive tier) makes a
   * version unreadable until a restore takes it out.
   */
  ext: Record<string, unknown>;
}

// ---------------------------------------------------------------------------
// (a) At-rest encryption: a seekable, length-preserving codec per object.

/** The SSE request headers of an operation, as the model names them. */
export interface SseRequest {
  ServerSideEncryption?: string;
  SSEKMSKeyId?: string;
  SSEKMSEncryptionContext?: string;
  BucketKeyEnabled?: boolean;
  SSECustomerAlgorithm?: string;
  SSECustomerKey?: string;
  SSECustomerKeyMD5?: string;
}

/**
 * Encrypts and decrypts one object's bytes. Objects are stored as segments
 * (1 for a PUT, one per part for multipart uploads); each segment is
 * transformed independently, so a codec must derive a distinct keystream per
 * segment (e.g. AES-256-CTR with the segment number in the IV). It must
 * preserve length, so that ranged reads map to the same stored offsets.
 */
export interface ObjectCodec {
  /** Encrypts segment `segment` from its start: each call takes the bytes that follow the previous call's. */
  encryptor(segment: number): (data: Buffer) => Buffer;
  /**
   * Decrypts stored bytes of segment `segment` from byte `offset` of it (ranged
   * GETs): each call takes the bytes that follow the previous call's.
   */
  decryptor(segment: number, offset: number): (data: Buffer) => Buffer;
  /**
   * For Stratus's own codec (AES-256-CTR, IVs as in encryption/codec.ts): its
   * key and nonce, so that large reads can be decrypted on the byte thread.
   * Other codecs decrypt on the event loop.
   */
  ctr?: { key: Buffer; nonce: Buffer };
}

export interface Sealed {
  /** Persisted with the object (or multipart upload) and echoed in responses. */
  record: EncryptionRecord;
  codec: ObjectCodec;
}

export interface SealRequest {
  bucket: BucketRecord;
  key: string;
  /** The encryption the request asks for (headers), possibly empty: then bucket defaults apply. */
  sse: SseRequest;
  /** PutObject, CopyObject, CreateMultipartUpload, or "Replication"/"Lifecycle" for internal writes. */
  operation: string;
  ctx?: CallContext;
}

export interface OpenRequest {
  bucket: BucketRecord;
  key: string;
  record: EncryptionRecord;
  /** SSE-C headers of the request (for a copy source: the CopySource… ones). */
  sse: SseRequest;
  /** "read" (GET, copy source), "head" (HEAD: key check only), "write" (UploadPart into an upload). */
  purpose: "read" | "head" | "write";
  operation: string;
  /** Undefined for internal reads (replication, lifecycle). */
  ctx?: CallContext;
}

export interface AtRestEncryption {
  /** Chooses how a new object's bytes are sealed; undefined stores them in the clear. Throws AwsError on bad SSE headers. */
  seal(request: SealRequest): Sealed | undefined | Promise<Sealed | undefined>;
  /** Opens a sealed object or upload; throws AwsError when the request lacks what it needs (SSE-C key → 400). */
  open(request: OpenRequest): ObjectCodec | Promise<ObjectCodec>;
}

export const plaintextOnly: AtRestEncryption = {
  seal: () => undefined,
  open: () => {
    throw new AwsError("InternalError", "This object is encrypted but no at-rest encryption is installed.", { status: 500 });
  },
};

// ---------------------------------------------------------------------------
// (b) Authorization of each request.

export interface AccessRequest {
  ctx: CallContext;
  /** The IAM action, e.g. "s3:GetObject", "s3:ListBucket", "s3:PutObject". */
  action: string;
  /** The S3 operation (GetObject, HeadObject, ...). */
  operation: string;
  /** Undefined for account-level actions (ListBuckets, CreateBucket). */
  bucket?: BucketRecord;
  /** The bucket name as requested (also set when the bucket does not exist yet: CreateBucket). */
  bucketName?: string;
  key?: string;
  versionId?: string;
  /** Condition keys the action supplies (s3:prefix, s3:delimiter, s3:max-keys, s3:x-amz-acl...). */
  conditions: Record<string, string>;
  /** The parsed operation input (ACL headers, grants, policy documents...). */
  input: Record<string, unknown>;
}

export interface S3Authorizer {
  /** Returns to allow; throws AwsError (403 AccessDenied) to deny. */
  authorize(request: AccessRequest): void | Promise<void>;
}

export function accessDenied(): AwsError {
  return new AwsError("AccessDenied", "Access Denied", { status: 403 });
}

/** Default: the signed account owns and may use its own buckets; anonymous requests are denied. */
export const ownerOnly: S3Authorizer = {
  authorize({ ctx, bucket }) {
    if (ctx.anonymous) throw accessDenied();
    if (bucket && bucket.account !== ctx.account) throw accessDenied();
  },
};

// ---------------------------------------------------------------------------
// (c) Object events, for replication and lifecycle.

/** What caused a change: an S3 operation name, or "Lifecycle" / "Replication" for internal writers. */
export type ChangeCause = string;

export interface VersionEvent {
  bucket: BucketRecord;
  version: ObjectVersion;
  cause: ChangeCause;
  /** Undefined for internal changes. */
  ctx?: CallContext;
}

/**
 * Listeners run inside the metadata transaction that makes the change, so
 * what they record (a scheduler job, a row) commits or rolls back with it.
 * They must be synchronous and touch only SQLite (cloud.db / scheduler).
 */
export interface ObjectEvents {
  /**
   * A version's bytes were read in a way S3 counts as access (GetObject, the
   * source of a copy). Outside any transaction; a listener may update the version.
   */
  versionRead?(event: VersionEvent): void;
  /** A version was written (PUT, copy, multipart completion, replica). */
  versionWritten?(event: VersionEvent): void;
  /** A delete marker was created (a DELETE without versionId on a versioned bucket). */
  deleteMarkerCreated?(event: VersionEvent): void;
  /**
   * A version or delete marker is about to be permanently removed (or a null
   * version replaced); a listener refuses by throwing an AwsError (Object Lock).
   */
  versionRemoving?(event: VersionEvent): void;
  /** A version or delete marker was permanently removed (or a null version replaced). */
  versionRemoved?(event: VersionEvent): void;
  /** A bucket was created; `input` is the CreateBucket request (ACL, ObjectOwnership...). */
  bucketCreated?(bucket: BucketRecord, ctx?: CallContext, input?: Record<string, unknown>): void;
  /** Versioning is about to change; a listener refuses by throwing an AwsError (replication needs it Enabled). */
  versioningChanging?(bucket: BucketRecord, state: VersioningState, ctx?: CallContext): void;
  /** Extensions drop their per-bucket configuration here. */
  bucketDeleted?(bucket: BucketRecord, ctx?: CallContext): void;
}

// ---------------------------------------------------------------------------
// (d) Extra response headers.

export interface ObjectResponse {
  bucket: BucketRecord;
  version: ObjectVersion;
  /** PutObject, GetObject, HeadObject, CopyObject, CompleteMultipartUpload. */
  operation: string;
  ctx: CallContext;
}

export interface ResponseExtras {
  /** Headers added to a response that describes one object version (x-amz-expiration, x-amz-restore...). */
  objectHeaders?(response: ObjectResponse): Record<string, string> | undefined;
  /** Headers added to every successful bucket-scoped response (CORS's Access-Control-*). */
  bucketHeaders?(bucket: BucketRecord, ctx: CallContext): Record<string, string> | undefined;
}

// ---------------------------------------------------------------------------
// (e) Write policies: checks on a new object's request, and its per-version state.

export interface WriteRequest {
  bucket: BucketRecord;
  key: string;
  /** PutObject, CopyObject, CreateMultipartUpload, UploadPart, UploadPartCopy. */
  operation: string;
  /** The parsed operation input (x-amz-object-lock-* headers...). */
  input: Record<string, unknown>;
  ctx: CallContext;
  /** For parts: the ext of the multipart upload they belong to. */
  uploadExt?: Record<string, unknown>;
}

export interface WritePolicy {
  /**
   * Runs before any byte of the body is read: throws an AwsError to refuse,
   * or returns entries for the new version's (or upload's) `ext`.
   */
  prepare?(request: WriteRequest): Record<string, unknown> | undefined;
}

// ---------------------------------------------------------------------------

/** The hooks an S3 provider calls. Replace fields; push onto the lists. */
export interface S3Hooks {
  encryption: AtRestEncryption;
  authorizer: S3Authorizer;
  events: ObjectEvents[];
  responses: ResponseExtras[];
  writes: WritePolicy[];
}

export function defaultHooks(): S3Hooks {
  return { encryption: plaintextOnly, authorizer: ownerOnly, events: [], responses: [], writes: [] };
}
