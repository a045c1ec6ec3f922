/** Buckets: create (regions and location constraints), delete, head, list, location, versioning. */
import { arn } from "../../core/ids.js";
import type {
  CreateBucketOutput,
  CreateBucketRequest,
  DeleteBucketRequest,
  GetBucketLocationOutput,
  GetBucketLocationRequest,
  GetBucketVersioningOutput,
  GetBucketVersioningRequest,
  HeadBucketOutput,
  HeadBucketRequest,
  ListBucketsOutput,
  ListBucketsRequest,
  PutBucketVersioningRequest,
  S3Operations,
} from "../../generated/s3.js";
import { loadModel } from "../../protocol/model.js";
import type { CallContext } from "../types.js";
import { S3Base } from "./base.js";
import { S3Errors } from "./errors.js";
import type { BucketRecord } from "./hooks.js";
import { isValidBucketName, ownerOf } from "./validation.js";

type Implemented = Pick<
  S3Operations,
  "CreateBucket" | "DeleteBucket" | "HeadBucket" | "ListBuckets" | "GetBucketLocation" | "GetBucketVersioning" | "PutBucketVersioning"
>;

let knownConstraints: Set<string> | undefined;
function isKnownConstraint(value: string): boolean {
  knownConstraints ??= new Set(loadModel("s3").shape("BucketLocationConstraint").enum ?? []);
  return knownConstraints.has(value);
}

export class BucketOperations extends S3Base implements Implemented {
  async CreateBucket(input: CreateBucketRequest, ctx: CallContext): Promise<CreateBucketOutput> {
    const name = input.Bucket;
    if (!isValidBucketName(name)) throw S3Errors.invalidBucketName(name);
    await this.authorize(ctx, undefined, name, { input, conditions: { "s3:x-amz-acl": input.ACL } });
    const constraint = input.CreateBucketConfiguration?.LocationConstraint as string | undefined;
    let region: string;
    if (constraint !== undefined && constraint !== "") {
      if (!isKnownConstraint(constraint) || constraint === "us-east-1") throw S3Errors.invalidLocationConstraint(constraint);
      region = constraint === "EU" ? "eu-west-1" : constraint;
      if (ctx.region !== "us-east-1" && region !== ctx.region) throw S3Errors.illegalLocationConstraint(constraint);
    } else {
      if (ctx.region !== "us-east-1") throw S3Errors.illegalLocationConstraint(undefined);
      region = "us-east-1";
    }
    const existing = this.store.bucket(name);
    if (existing) {
      if (existing.account !== ctx.account) throw S3Errors.bucketAlreadyExists(name);
      // For legacy compatibility S3 answers 200 to re-creating your own bucket in North Virginia.
      if (existing.region === "us-east-1" && region === "us-east-1") return { Location: `/${name}`, BucketArn: bucketArn(name) };
      throw S3Errors.bucketAlreadyOwnedByYou(name);
    }
    const bucket: BucketRecord = { name, account: ctx.account, region, created: this.cloud.clock.date() };
    this.store.transaction(() => {
      this.store.insertBucket(bucket);
      for (const listener of this.hooks.events) listener.bucketCreated?.(bucket, ctx, input as unknown as Record<string, unknown>);
    });
    return { Location: region === "us-east-1" ? `/${name}` : `http://${name}.s3.amazonaws.com/`, BucketArn: bucketArn(name) };
  }

  async DeleteBucket(input: DeleteBucketRequest, ctx: CallContext): Promise<void> {
    const bucket = await this.bucketFor(ctx, input.Bucket, { input });
    this.engine.transaction(() => {
      if (!this.store.bucketIsEmpty(bucket.name)) throw S3Errors.bucketNotEmpty(bucket.name, bucket.versioning !== undefined);
      // Incomplete multipart uploads do not keep a bucket alive; they go with it.
      for (const upload of this.store.uploadsOfBucket(bucket.name)) {
        this.engine.dropSegments(this.store.parts(upload.uploadId).map((p) => ({ r: p.blob })));
        this.store.deleteUpload(upload.uploadId);
      }
      this.store.deleteBucket(bucket.name);
      for (const listener of this.hooks.events) listener.bucketDeleted?.(bucket, ctx);
    });
  }

  async HeadBucket(input: HeadBucketRequest, ctx: CallContext): Promise<HeadBucketOutput> {
    const bucket = await this.bucketFor(ctx, input.Bucket, { input });
    return { BucketRegion: bucket.region, AccessPointAlias: false, BucketArn: bucketArn(bucket.name) } as HeadBucketOutput;
  }

  async ListBuckets(input: ListBucketsRequest, ctx: CallContext): Promise<ListBucketsOutput> {
    await this.authorize(ctx, undefined, undefined, { input });
    const max = input.MaxBuckets ?? 10000;
    if (max < 1 || max > 10000) throw S3Errors.invalidArgument("Argument max-buckets must be an integer between 1 and 10000", "max-buckets", String(max));
    let after = "";
    if (input.ContinuationToken) {
      try {
        after = Buffer.from(input.ContinuationToken, "base64url").toString("utf8");
      } catch {
        throw S3Errors.invalidToken();
      }
    }
    const buckets: BucketRecord[] = [];
    let more = false;
    for (;;) {
      const batch = this.store.bucketsOf(ctx.account, after, 500);
      for (const bucket of batch) {
        after = bucket.name;
        if (input.Prefix && !bucket.name.startsWith(input.Prefix)) continue;
        if (input.BucketRegion && bucket.region !== input.BucketRegion) continue;
        if (buckets.length === max) {
          more = true;
          break;
        }
        buckets.push(bucket);
      }
      if (more || batch.length < 500) break;
    }
    const paged = input.MaxBuckets !== undefined || input.ContinuationToken !== undefined;
    return {
      Buckets: buckets.map((b) => ({ Name: b.name, CreationDate: b.created, BucketRegion: b.region, BucketArn: bucketArn(b.name) })),
      Owner: ownerOf(ctx.account),
      Prefix: input.Prefix,
      ContinuationToken: more && paged ? Buffer.from(buckets[buckets.length - 1].name).toString("base64url") : undefined,
    };
  }

  async GetBucketLocation(input: GetBucketLocationRequest, ctx: CallContext): Promise<GetBucketLocationOutput> {
    const bucket = await this.bucketFor(ctx, input.Bucket, { input });
    return { LocationConstraint: bucket.region === "us-east-1" ? undefined : (bucket.region as GetBucketLocationOutput["LocationConstraint"]) };
  }

  async GetBucketVersioning(input: GetBucketVersioningRequest, ctx: CallContext): Promise<GetBucketVersioningOutput> {
    const bucket = await this.bucketFor(ctx, input.Bucket, { input });
    return { Status: bucket.versioning, MFADelete: bucket.versioning ? bucket.mfaDelete : undefined };
  }

  async PutBucketVersioning(input: PutBucketVersioningRequest, ctx: CallContext): Promise<void> {
    const bucket = await this.bucketFor(ctx, input.Bucket, { input });
    const config = input.VersioningConfiguration;
    if (!config) throw S3Errors.malformedXml();
    const status = config.Status as string | undefined;
    const mfa = config.MFADelete as string | undefined;
    if (status !== undefined && status !== "Enabled" && status !== "Suspended") throw S3Errors.malformedXml();
    if (mfa !== undefined && mfa !== "Enabled" && mfa !== "Disabled") throw S3Errors.malformedXml();
    if (mfa === "Enabled" && !input.MFA) {
      throw S3Errors.invalidRequest("The x-amz-mfa header is required to enable MFA Delete on a bucket.");
    }
    if (status === undefined) return;
    for (const listener of this.hooks.events) listener.versioningChanging?.(bucket, status, ctx);
    this.store.setVersioning(bucket.name, status, mfa);
  }
}

export function bucketArn(name: string): string {
  return arn({ service: "s3", resource: name });
}
