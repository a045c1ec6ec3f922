/**
 * Access control operations: bucket policies and their status, Block Public
 * Access, Object Ownership, bucket and object ACLs; and the authorizer the
 * core asks about every request.
 */
import { AwsError } from "../../../core/errors.js";
import type {
  DeleteBucketOwnershipControlsRequest,
  DeleteBucketPolicyRequest,
  DeletePublicAccessBlockRequest,
  GetBucketAclOutput,
  GetBucketAclRequest,
  GetBucketOwnershipControlsOutput,
  GetBucketOwnershipControlsRequest,
  GetBucketPolicyOutput,
  GetBucketPolicyRequest,
  GetBucketPolicyStatusOutput,
  GetBucketPolicyStatusRequest,
  GetObjectAclOutput,
  GetObjectAclRequest,
  GetPublicAccessBlockOutput,
  GetPublicAccessBlockRequest,
  Grant,
  PutBucketAclRequest,
  PutBucketOwnershipControlsRequest,
  PutBucketPolicyRequest,
  PutObjectAclOutput,
  PutObjectAclRequest,
  PutPublicAccessBlockRequest,
  S3Operations,
} from "../../../generated/s3.js";
import type { CallContext } from "../../types.js";
import { S3Base } from "../base.js";
import { S3Errors } from "../errors.js";
import { accessDenied, type BucketRecord } from "../hooks.js";
import type { S3Provider } from "../provider.js";
import { canonicalId } from "../validation.js";
import { BUCKET_CANNED, cannedGrants, checkGrants, hasGrantHeaders, headerGrants, isOwnerOnly, OBJECT_CANNED, type GrantHeaders, type StoredAcl } from "./acl.js";
import { aclNotSupported, aclWithEnforcedOwnership, Authorizer } from "./authorizer.js";
import { parseBucketPolicy } from "./policy.js";
import { isAclPublic, isPolicyPublic, PUBLIC_CANNED_ACLS } from "./public.js";
import { AccessState, type BlockDoc, type OwnershipDoc, type PolicyDoc } from "./state.js";

type Implemented = Pick<
  S3Operations,
  | "PutBucketPolicy" | "GetBucketPolicy" | "DeleteBucketPolicy" | "GetBucketPolicyStatus"
  | "PutPublicAccessBlock" | "GetPublicAccessBlock" | "DeletePublicAccessBlock"
  | "PutBucketOwnershipControls" | "GetBucketOwnershipControls" | "DeleteBucketOwnershipControls"
  | "GetBucketAcl" | "PutBucketAcl" | "GetObjectAcl" | "PutObjectAcl"
>;

const OWNERSHIP = new Set(["BucketOwnerEnforced", "BucketOwnerPreferred", "ObjectWriter"]);

export class AccessModule extends S3Base implements Implemented {
  readonly state: AccessState;

  constructor(s3: S3Provider) {
    super(s3);
    this.state = new AccessState(s3.cloud, canonicalId);
    this.state.lookup = {
      version: (bucket, key, versionId) => (versionId !== undefined ? this.store.version(bucket, key, versionId) : this.store.latest(bucket, key)),
    };
    s3.hooks.authorizer = new Authorizer(s3.cloud, this.state);
    s3.hooks.events.push({
      bucketCreated: (bucket, _ctx, input) => this.bucketCreated(bucket, (input ?? {}) as GrantHeaders & { ACL?: string; ObjectOwnership?: string }),
      bucketDeleted: (bucket) => this.state.configs.dropBucket(bucket.name),
      versionWritten: (event) => {
        if (event.ctx && event.cause !== "Replication") this.aclFromHeaders(event.bucket, event.version.key, event.version.versionId, event.ctx);
      },
      versionRemoved: (event) => this.state.dropObjectAcl(event.bucket.name, event.version.key, event.version.versionId),
    });
  }

  // ---- bucket policy ----------------------------------------------------

  async PutBucketPolicy(input: PutBucketPolicyRequest, ctx: CallContext): Promise<void> {
    const bucket = await this.bucketFor(ctx, input.Bucket, { input });
    const parsed = parseBucketPolicy(input.Policy, bucket.name);
    if (this.state.publicAccessBlock(bucket.name).BlockPublicPolicy && isPolicyPublic(parsed)) throw accessDenied();
    this.state.configs.put<PolicyDoc>("policy", bucket.name, { text: input.Policy });
    ctx.responseStatus = 204; // S3 answers PutBucketPolicy with 204 No Content
  }

  async GetBucketPolicy(input: GetBucketPolicyRequest, ctx: CallContext): Promise<GetBucketPolicyOutput> {
    const bucket = await this.bucketFor(ctx, input.Bucket, { input });
    const doc = this.state.configs.get<PolicyDoc>("policy", bucket.name);
    if (!doc) throw noSuchPolicy(bucket.name);
    return { Policy: doc.text };
  }

  async DeleteBucketPolicy(input: DeleteBucketPolicyRequest, ctx: CallContext): Promise<void> {
    const bucket = await this.bucketFor(ctx, input.Bucket, { input });
    this.state.configs.delete("policy", bucket.name);
  }

  async GetBucketPolicyStatus(input: GetBucketPolicyStatusRequest, ctx: CallContext): Promise<GetBucketPolicyStatusOutput> {
    const bucket = await this.bucketFor(ctx, input.Bucket, { input });
    const policy = this.state.policy(bucket.name);
    if (!policy) throw noSuchPolicy(bucket.name);
    return { PolicyStatus: { IsPublic: policy.public } };
  }

  // ---- Block Public Access ----------------------------------------------

  async PutPublicAccessBlock(input: PutPublicAccessBlockRequest, ctx: CallContext): Promise<void> {
    const bucket = await this.bucketFor(ctx, input.Bucket, { input });
    const c = input.PublicAccessBlockConfiguration ?? {};
    this.state.configs.put<BlockDoc>("public-access-block", bucket.name, {
      config: {
        BlockPublicAcls: c.BlockPublicAcls ?? false,
        IgnorePublicAcls: c.IgnorePublicAcls ?? false,
        BlockPublicPolicy: c.BlockPublicPolicy ?? false,
        RestrictPublicBuckets: c.RestrictPublicBuckets ?? false,
      },
    });
  }

  async GetPublicAccessBlock(input: GetPublicAccessBlockRequest, ctx: CallContext): Promise<GetPublicAccessBlockOutput> {
    const bucket = await this.bucketFor(ctx, input.Bucket, { input });
    const doc = this.state.configs.get<BlockDoc>("public-access-block", bucket.name);
    if (doc && !doc.config) {
      throw new AwsError("NoSuchPublicAccessBlockConfiguration", "The public access block configuration was not found", { status: 404, fields: { BucketName: bucket.name } });
    }
    return { PublicAccessBlockConfiguration: this.state.publicAccessBlock(bucket.name) };
  }

  async DeletePublicAccessBlock(input: DeletePublicAccessBlockRequest, ctx: CallContext): Promise<void> {
    const bucket = await this.bucketFor(ctx, input.Bucket, { input });
    this.state.configs.put<BlockDoc>("public-access-block", bucket.name, {});
  }

  // ---- Object Ownership -------------------------------------------------

  async PutBucketOwnershipControls(input: PutBucketOwnershipControlsRequest, ctx: CallContext): Promise<void> {
    const bucket = await this.bucketFor(ctx, input.Bucket, { input });
    const rules = input.OwnershipControls?.Rules ?? [];
    if (rules.length !== 1 || !OWNERSHIP.has(rules[0].ObjectOwnership)) throw S3Errors.malformedXml();
    const rule = rules[0].ObjectOwnership as OwnershipDoc["rule"];
    if (rule === "BucketOwnerEnforced" && !isOwnerOnly(this.state.bucketAcl(bucket).grants, canonicalId(bucket.account))) {
      throw aclWithEnforcedOwnership();
    }
    this.state.configs.put<OwnershipDoc>("ownership", bucket.name, { rule });
  }

  async GetBucketOwnershipControls(input: GetBucketOwnershipControlsRequest, ctx: CallContext): Promise<GetBucketOwnershipControlsOutput> {
    const bucket = await this.bucketFor(ctx, input.Bucket, { input });
    const rule = this.state.ownership(bucket.name);
    if (!rule) {
      throw new AwsError("OwnershipControlsNotFoundError", "The bucket ownership controls were not found", { status: 404, fields: { BucketName: bucket.name } });
    }
    return { OwnershipControls: { Rules: [{ ObjectOwnership: rule }] } };
  }

  async DeleteBucketOwnershipControls(input: DeleteBucketOwnershipControlsRequest, ctx: CallContext): Promise<void> {
    const bucket = await this.bucketFor(ctx, input.Bucket, { input });
    this.state.configs.put<OwnershipDoc>("ownership", bucket.name, {});
  }

  // ---- ACLs ---------------------------------------------------------------

  async GetBucketAcl(input: GetBucketAclRequest, ctx: CallContext): Promise<GetBucketAclOutput> {
    const bucket = await this.bucketFor(ctx, input.Bucket, { input });
    const acl = this.state.bucketAcl(bucket);
    return { Owner: { ID: acl.ownerId, DisplayName: acl.ownerName }, Grants: acl.grants };
  }

  async PutBucketAcl(input: PutBucketAclRequest, ctx: CallContext): Promise<void> {
    const bucket = await this.bucketFor(ctx, input.Bucket, { input });
    const ownerId = canonicalId(bucket.account);
    const acl = this.aclFromRequest(input, { id: ownerId, name: bucket.account }, BUCKET_CANNED);
    this.checkAclWrite(bucket, acl.grants, input.ACL);
    this.state.configs.put<StoredAcl>("bucket-acl", bucket.name, acl);
  }

  async GetObjectAcl(input: GetObjectAclRequest, ctx: CallContext): Promise<GetObjectAclOutput> {
    const bucket = await this.bucketFor(ctx, input.Bucket, { input, key: input.Key, versionId: input.VersionId });
    const acl = this.objectAclOrThrow(bucket, input.Key, input.VersionId);
    return { Owner: { ID: acl.ownerId, DisplayName: acl.ownerName }, Grants: acl.grants };
  }

  async PutObjectAcl(input: PutObjectAclRequest, ctx: CallContext): Promise<PutObjectAclOutput> {
    const bucket = await this.bucketFor(ctx, input.Bucket, { input, key: input.Key, versionId: input.VersionId });
    const version = this.versionOrThrow(bucket, input.Key, input.VersionId);
    const owner = this.state.objectAcl(bucket, input.Key, version.versionId)!;
    const acl = this.aclFromRequest(input, { id: owner.ownerId, name: owner.ownerName }, OBJECT_CANNED, { id: canonicalId(bucket.account), name: bucket.account });
    this.checkAclWrite(bucket, acl.grants, input.ACL);
    this.state.putObjectAcl(bucket.name, input.Key, version.versionId, acl);
    return {};
  }

  // ---- helpers ----------------------------------------------------------

  private versionOrThrow(bucket: BucketRecord, key: string, versionId?: string) {
    const version = versionId !== undefined ? this.store.version(bucket.name, key, versionId) : this.store.latest(bucket.name, key);
    if (!version) throw versionId !== undefined ? S3Errors.noSuchVersion(key, versionId) : S3Errors.noSuchKey(key);
    if (version.deleteMarker) {
      if (versionId !== undefined) throw S3Errors.methodNotAllowed("GET", "DeleteMarker", { "x-amz-delete-marker": "true" });
      throw S3Errors.noSuchKey(key, { "x-amz-delete-marker": "true" });
    }
    return version;
  }

  private objectAclOrThrow(bucket: BucketRecord, key: string, versionId?: string): StoredAcl {
    const version = this.versionOrThrow(bucket, key, versionId);
    return this.state.objectAcl(bucket, key, version.versionId)!;
  }

  /** One of: a canned ACL, x-amz-grant-* headers, or an AccessControlPolicy body. */
  private aclFromRequest(
    input: GrantHeaders & { ACL?: string; AccessControlPolicy?: { Grants?: Grant[]; Owner?: { ID?: string; DisplayName?: string } } },
    owner: { id: string; name: string },
    canned: string[],
    bucketOwner?: { id: string; name: string },
  ): StoredAcl {
    const forms = [input.ACL !== undefined, hasGrantHeaders(input), input.AccessControlPolicy !== undefined].filter(Boolean).length;
    if (forms === 0) throw new AwsError("MissingSecurityHeader", "Your request was missing a required header", { status: 400, fields: { MissingHeaderName: "x-amz-acl" } });
    if (input.ACL !== undefined && hasGrantHeaders(input)) throw S3Errors.invalidRequest("Specifying both Canned ACLs and Header Grants is not allowed");
    if (input.AccessControlPolicy !== undefined && forms > 1) throw new AwsError("UnexpectedContent", "This request does not support content", { status: 400 });
    if (input.ACL !== undefined) {
      if (!canned.includes(input.ACL)) throw S3Errors.invalidArgument("", "x-amz-acl", input.ACL);
      return { ownerId: owner.id, ownerName: owner.name, grants: cannedGrants(input.ACL, owner.id, owner.name, bucketOwner) };
    }
    if (hasGrantHeaders(input)) return { ownerId: owner.id, ownerName: owner.name, grants: headerGrants(input, () => undefined) };
    const policy = input.AccessControlPolicy!;
    const grants = policy.Grants ?? [];
    checkGrants(grants);
    if (policy.Owner?.ID !== undefined && policy.Owner.ID !== owner.id) throw accessDenied();
    return { ownerId: owner.id, ownerName: owner.name, grants };
  }

  /** ACL writes: refused when ACLs are disabled (unless owner-only) or when public and BlockPublicAcls is on. */
  private checkAclWrite(bucket: BucketRecord, grants: Grant[], canned: string | undefined): void {
    if (!this.state.aclsApply(bucket.name)) {
      if (!isOwnerOnly(grants, canonicalId(bucket.account)) && canned !== "bucket-owner-full-control") throw aclNotSupported();
      return;
    }
    if (this.state.publicAccessBlock(bucket.name).BlockPublicAcls && (PUBLIC_CANNED_ACLS.has(canned ?? "") || isAclPublic(grants))) throw accessDenied();
  }

  private bucketCreated(bucket: BucketRecord, input: GrantHeaders & { ACL?: string; ObjectOwnership?: string }): void {
    if (input.ObjectOwnership && OWNERSHIP.has(input.ObjectOwnership)) {
      this.state.configs.put<OwnershipDoc>("ownership", bucket.name, { rule: input.ObjectOwnership as OwnershipDoc["rule"] });
    }
    if (input.ACL !== undefined || hasGrantHeaders(input)) {
      const id = canonicalId(bucket.account);
      const grants = input.ACL !== undefined ? cannedGrants(input.ACL, id, bucket.account) : headerGrants(input, () => undefined);
      this.state.configs.put<StoredAcl>("bucket-acl", bucket.name, { ownerId: id, ownerName: bucket.account, grants });
    }
  }

  /** PutObject/CopyObject with x-amz-acl or x-amz-grant-*: the object's ACL (only when ACLs apply). */
  private aclFromHeaders(bucket: BucketRecord, key: string, versionId: string, ctx: CallContext): void {
    if (!this.state.aclsApply(bucket.name)) return;
    const h = ctx.request.headers;
    const input: GrantHeaders & { ACL?: string } = {
      ACL: h["x-amz-acl"],
      GrantFullControl: h["x-amz-grant-full-control"],
      GrantRead: h["x-amz-grant-read"],
      GrantReadACP: h["x-amz-grant-read-acp"],
      GrantWriteACP: h["x-amz-grant-write-acp"],
    };
    if (input.ACL === undefined && !hasGrantHeaders(input)) return;
    const writer = ctx.account;
    const id = canonicalId(writer);
    const grants = input.ACL !== undefined ? cannedGrants(input.ACL, id, writer, { id: canonicalId(bucket.account), name: bucket.account }) : headerGrants(input, () => undefined);
    this.state.putObjectAcl(bucket.name, key, versionId, { ownerId: id, ownerName: writer, grants });
  }
}

function noSuchPolicy(bucket: string): AwsError {
  return new AwsError("NoSuchBucketPolicy", "The bucket policy does not exist", { status: 404, fields: { BucketName: bucket } });
}
