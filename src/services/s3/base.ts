/**
 * What every S3 operation module shares: the store, the engine, the hooks,
 * and the one way to resolve and authorize the bucket a request names.
 */
import type { Cloud } from "../../cloud.js";
import { AwsError } from "../../core/errors.js";
import { parseTimestamp } from "../../protocol/values.js";
import type { CallContext } from "../types.js";
import type { ObjectEngine } from "./engine.js";
import { S3Errors } from "./errors.js";
import { accessDenied, type BucketRecord, type ObjectVersion, type S3Hooks } from "./hooks.js";
import type { S3Provider } from "./provider.js";
import type { S3Store } from "./store.js";

/** IAM actions of operations whose action is not "s3:" + the operation name. */
const ACTIONS: Record<string, string> = {
  ListBuckets: "s3:ListAllMyBuckets",
  HeadBucket: "s3:ListBucket",
  ListObjects: "s3:ListBucket",
  ListObjectsV2: "s3:ListBucket",
  ListObjectVersions: "s3:ListBucketVersions",
  ListMultipartUploads: "s3:ListBucketMultipartUploads",
  ListParts: "s3:ListMultipartUploadParts",
  HeadObject: "s3:GetObject",
  CopyObject: "s3:PutObject",
  CreateMultipartUpload: "s3:PutObject",
  UploadPart: "s3:PutObject",
  UploadPartCopy: "s3:PutObject",
  CompleteMultipartUpload: "s3:PutObject",
  DeleteObjects: "s3:DeleteObject",
  GetBucketLifecycleConfiguration: "s3:GetLifecycleConfiguration",
  PutBucketLifecycleConfiguration: "s3:PutLifecycleConfiguration",
  DeleteBucketLifecycle: "s3:PutLifecycleConfiguration",
  GetBucketReplication: "s3:GetReplicationConfiguration",
  PutBucketReplication: "s3:PutReplicationConfiguration",
  DeleteBucketReplication: "s3:PutReplicationConfiguration",
  GetBucketEncryption: "s3:GetEncryptionConfiguration",
  PutBucketEncryption: "s3:PutEncryptionConfiguration",
  DeleteBucketEncryption: "s3:PutEncryptionConfiguration",
  GetPublicAccessBlock: "s3:GetBucketPublicAccessBlock",
  PutPublicAccessBlock: "s3:PutBucketPublicAccessBlock",
  DeletePublicAccessBlock: "s3:PutBucketPublicAccessBlock",
  GetBucketCors: "s3:GetBucketCORS",
  PutBucketCors: "s3:PutBucketCORS",
  DeleteBucketCors: "s3:PutBucketCORS",
  DeleteBucketTagging: "s3:PutBucketTagging",
};

/** Versioned variants: GetObject with a versionId is s3:GetObjectVersion, and so on. */
const VERSIONED: Record<string, string> = {
  "s3:GetObject": "s3:GetObjectVersion",
  "s3:DeleteObject": "s3:DeleteObjectVersion",
  "s3:GetObjectTagging": "s3:GetObjectVersionTagging",
  "s3:PutObjectTagging": "s3:PutObjectVersionTagging",
  "s3:DeleteObjectTagging": "s3:DeleteObjectVersionTagging",
  "s3:GetObjectAcl": "s3:GetObjectVersionAcl",
  "s3:PutObjectAcl": "s3:PutObjectVersionAcl",
  "s3:GetObjectAttributes": "s3:GetObjectVersionAttributes",
};

export function actionOf(operation: string, versioned = false): string {
  const action = ACTIONS[operation] ?? `s3:${operation}`;
  return versioned ? VERSIONED[action] ?? action : action;
}

export interface AccessOptions {
  key?: string;
  versionId?: string;
  /** Defaults to the operation's own action. */
  action?: string;
  conditions?: Record<string, string | undefined>;
  input?: object;
}

/**
 * A presigned URL stops working when it expires, whatever the auth mode (strict
 * mode checks it with the signature). Clients sign with their wall clock, so
 * this compares with the wall clock too, not Stratus's (possibly virtual) one.
 */
function checkPresignedExpiry(ctx: CallContext): void {
  if (ctx.cloud.options.auth === "strict") return;
  const query = ctx.request.query;
  const amzDate = query.find(([k]) => k === "X-Amz-Date")?.[1];
  const expires = query.find(([k]) => k === "X-Amz-Expires")?.[1];
  if (amzDate === undefined || expires === undefined) return;
  const seconds = Number(expires);
  if (!Number.isInteger(seconds) || seconds < 1 || seconds > 604800) {
    throw new AwsError("AuthorizationQueryParametersError", "X-Amz-Expires must be less than a week (in seconds) that is 604800", { status: 400 });
  }
  const signedAt = parseTimestamp(amzDate);
  if (!signedAt) throw new AwsError("AuthorizationQueryParametersError", "Invalid date format of header X-Amz-Date", { status: 400 });
  const expiresAt = signedAt.getTime() + seconds * 1000;
  const now = Date.now();
  if (now > expiresAt) {
    throw new AwsError("AccessDenied", "Request has expired", {
      status: 403,
      fields: { "X-Amz-Expires": seconds, Expires: new Date(expiresAt).toISOString(), ServerTime: new Date(now).toISOString() },
    });
  }
}

export class S3Base {
  constructor(readonly s3: S3Provider) {}

  get cloud(): Cloud {
    return this.s3.cloud;
  }
  get store(): S3Store {
    return this.s3.store;
  }
  get engine(): ObjectEngine {
    return this.s3.engine;
  }
  get hooks(): S3Hooks {
    return this.s3.hooks;
  }

  /** The bucket a request names, once the authorizer allowed the request (NoSuchBucket first, as S3 answers). */
  async bucketFor(ctx: CallContext, bucketName: string, options: AccessOptions = {}): Promise<BucketRecord> {
    const bucket = this.store.bucket(bucketName);
    if (!bucket) throw S3Errors.noSuchBucket(bucketName);
    await this.authorize(ctx, bucket, bucketName, options);
    const expected = (options.input as { ExpectedBucketOwner?: string } | undefined)?.ExpectedBucketOwner;
    if (expected !== undefined && expected !== bucket.account) throw accessDenied();
    for (const extra of this.hooks.responses) Object.assign(ctx.responseHeaders, extra.bucketHeaders?.(bucket, ctx) ?? {});
    return bucket;
  }

  /** Authorizes a request (for a bucket, or account-level when bucket is undefined). */
  async authorize(ctx: CallContext, bucket: BucketRecord | undefined, bucketName: string | undefined, options: AccessOptions = {}): Promise<void> {
    checkPresignedExpiry(ctx);
    const conditions: Record<string, string> = {};
    for (const [k, v] of Object.entries(options.conditions ?? {})) if (v !== undefined) conditions[k] = v;
    await this.hooks.authorizer.authorize({
      ctx,
      action: options.action ?? actionOf(ctx.operation, options.versionId !== undefined),
      operation: ctx.operation,
      bucket,
      bucketName,
      key: options.key,
      versionId: options.versionId,
      conditions,
      input: (options.input ?? {}) as Record<string, unknown>,
    });
  }

  /** Runs the write policies on a new object's request (before its body is read); returns its ext entries. */
  prepareWrite(ctx: CallContext, bucket: BucketRecord, key: string, input: object, uploadExt?: Record<string, unknown>): Record<string, unknown> {
    const ext: Record<string, unknown> = {};
    for (const policy of this.hooks.writes) {
      Object.assign(ext, policy.prepare?.({ bucket, key, operation: ctx.operation, input: input as Record<string, unknown>, ctx, uploadExt }) ?? {});
    }
    return ext;
  }

  /** Headers extensions add to a response about one object version (x-amz-expiration...). */
  objectExtras(ctx: CallContext, bucket: BucketRecord, version: ObjectVersion, operation = ctx.operation): void {
    for (const extra of this.hooks.responses) Object.assign(ctx.responseHeaders, extra.objectHeaders?.({ bucket, version, operation, ctx }) ?? {});
  }
}
