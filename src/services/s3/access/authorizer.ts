/**
 * Who may do what to a bucket, decided the way S3 does for resource-based
 * access: an explicit Deny in the bucket policy or in the caller's IAM
 * identity policies wins; the bucket owner's account root is allowed, and
 * its IAM users and role sessions when their identity policies or the bucket
 * policy allow; another account's IAM principals need their identity
 * policies' Allow as well; anyone else needs an Allow from the bucket policy or a grant in an ACL
 * (when Object Ownership lets ACLs count). Block Public Access changes the
 * outcome: RestrictPublicBuckets confines a public policy to the owner's
 * account and AWS services, IgnorePublicAcls disregards public grants,
 * BlockPublicAcls refuses writes that carry public ACLs.
 */
import type { Cloud } from "../../../cloud.js";
import { AwsError } from "../../../core/errors.js";
import type { Grant } from "../../../generated/s3.js";
import { accessDenied, type AccessRequest, type BucketRecord, type S3Authorizer } from "../hooks.js";
import { aclAllows, cannedGrants, hasGrantHeaders, headerGrants, isOwnerOnly, type GrantHeaders } from "./acl.js";
import type { ConditionContext } from "./conditions.js";
import { deniedMessage, globalContext, identityDecision, type IdentityDecision } from "../../iam/enforce.js";
import { evaluatePolicy, type PolicyRequest, type Requester } from "./policy.js";
import { isAclPublic, PUBLIC_CANNED_ACLS } from "./public.js";
import type { AccessState } from "./state.js";

/** Operations that write an ACL along with the object or bucket. */
const ACL_CARRYING = new Set(["PutObject", "CopyObject", "CreateMultipartUpload", "CreateBucket"]);
/** The owner's root account can always manage the bucket policy, so that a Deny cannot lock it out. */
const POLICY_OPERATIONS = new Set(["GetBucketPolicy", "PutBucketPolicy", "DeleteBucketPolicy"]);

export function aclNotSupported(): AwsError {
  return new AwsError("AccessControlListNotSupported", "The bucket does not allow ACLs", { status: 400 });
}

export function aclWithEnforcedOwnership(): AwsError {
  return new AwsError("InvalidBucketAclWithObjectOwnership", "Bucket cannot have ACLs set with ObjectOwnership's BucketOwnerEnforced setting", { status: 400 });
}

export class Authorizer implements S3Authorizer {
  constructor(
    private readonly cloud: Cloud,
    private readonly state: AccessState,
  ) {}

  authorize(request: AccessRequest): void {
    const { ctx, bucket } = request;
    if (ACL_CARRYING.has(request.operation)) this.checkCarriedAcl(request);
    if (!bucket) {
      if (ctx.anonymous) throw accessDenied();
      // ListBuckets, CreateBucket: the caller's identity policies alone decide.
      const resource = request.bucketName !== undefined ? `arn:aws:s3:::${request.bucketName}` : undefined;
      const identity = this.identity(request, resource, this.globalContext(request));
      if (identity !== "Allow" && identity !== "Unrestricted") throw this.identityRefusal(request, resource, identity);
      return;
    }
    const requester = this.requester(request);
    const policy = this.state.policy(bucket.name);
    const resource = request.key !== undefined ? `arn:aws:s3:::${bucket.name}/${request.key}` : `arn:aws:s3:::${bucket.name}`;
    const context = this.context(request, bucket);
    let decision: "Allow" | "Deny" | "Neutral" = "Neutral";
    if (policy) decision = evaluatePolicy(policy.parsed, { requester, action: request.action, resource, context } satisfies PolicyRequest);
    const identity = ctx.anonymous ? "Unrestricted" : this.identity(request, resource, context);
    if (identity === "Deny") throw this.identityRefusal(request, resource, identity);
    const isOwner = !ctx.anonymous && ctx.account === bucket.account;
    if (decision === "Deny") {
      const root = isOwner && ctx.principalArn === `arn:aws:iam::${bucket.account}:root`;
      if (!(root && POLICY_OPERATIONS.has(request.operation))) throw accessDenied();
    }
    // The owner's account: its root, or a user or role session its identity policies (or the bucket policy) allow.
    if (isOwner) {
      if (identity === "Unrestricted" || identity === "Allow" || decision === "Allow") return;
      throw this.identityRefusal(request, resource, identity);
    }
    // Another account's IAM principal needs its own account's permission as well as the bucket's.
    if (identity === "Neutral") throw this.identityRefusal(request, resource, identity);
    const block = this.state.publicAccessBlock(bucket.name);
    if (decision === "Allow" && !(block.RestrictPublicBuckets && policy?.public)) return;
    if (this.state.aclsApply(bucket.name) && this.aclAllows(request, bucket, requester, block.IgnorePublicAcls === true)) return;
    throw accessDenied();
  }

  /** What the caller's IAM identity policies say (Unrestricted for an account root). */
  private identity(request: AccessRequest, resource: string | undefined, context: ConditionContext): IdentityDecision {
    return identityDecision(this.cloud, { principalArn: request.ctx.principalArn, action: request.action, resource, context });
  }

  private identityRefusal(request: AccessRequest, resource: string | undefined, decision: IdentityDecision): AwsError {
    const message = deniedMessage(request.ctx.principalArn, { principalArn: request.ctx.principalArn, action: request.action, resource: resource && `"${resource}"`, context: {} }, decision);
    return new AwsError("AccessDenied", message, { status: 403 });
  }

  private requester(request: AccessRequest): Requester & { canonicalId: string } {
    const { ctx } = request;
    return {
      anonymous: ctx.anonymous,
      account: ctx.anonymous ? "" : ctx.account,
      arn: ctx.anonymous ? "" : ctx.principalArn,
      canonicalId: ctx.anonymous ? "" : this.state.canonicalId(ctx.account),
    };
  }

  private globalContext(request: AccessRequest): ConditionContext {
    const { ctx } = request;
    return globalContext(this.cloud, { principalArn: ctx.anonymous ? "" : ctx.principalArn, account: ctx.account, region: ctx.region, sourceIp: ctx.sourceIp, secure: ctx.secure });
  }

  private context(request: AccessRequest, bucket: BucketRecord): ConditionContext {
    const { ctx } = request;
    const context: ConditionContext = {
      ...this.globalContext(request),
      "aws:useragent": ctx.request.headers["user-agent"],
      "aws:referer": ctx.request.headers["referer"],
      "s3:resourceaccount": bucket.account,
      "s3:signatureversion": ctx.anonymous ? undefined : "AWS4-HMAC-SHA256",
      "s3:authtype": ctx.anonymous ? undefined : ctx.request.query.some(([k]) => k === "X-Amz-Signature") ? "REST-QUERY-STRING" : "REST-HEADER",
    };
    if (request.versionId !== undefined) context["s3:versionid"] = request.versionId;
    for (const [key, value] of Object.entries(request.conditions)) context[key.toLowerCase()] = value;
    const sse = ctx.request.headers["x-amz-server-side-encryption"];
    if (sse !== undefined) context["s3:x-amz-server-side-encryption"] = sse;
    const kmsKey = ctx.request.headers["x-amz-server-side-encryption-aws-kms-key-id"];
    if (kmsKey !== undefined) context["s3:x-amz-server-side-encryption-aws-kms-key-id"] = kmsKey;
    const customerAlgorithm = ctx.request.headers["x-amz-server-side-encryption-customer-algorithm"];
    if (customerAlgorithm !== undefined) context["s3:x-amz-server-side-encryption-customer-algorithm"] = customerAlgorithm;
    const acl = ctx.request.headers["x-amz-acl"];
    if (acl !== undefined) context["s3:x-amz-acl"] = acl;
    const storageClass = ctx.request.headers["x-amz-storage-class"];
    if (storageClass !== undefined) context["s3:x-amz-storage-class"] = storageClass;
    const copySource = ctx.request.headers["x-amz-copy-source"];
    if (copySource !== undefined) context["s3:x-amz-copy-source"] = copySource;
    const tagging = ctx.request.headers["x-amz-tagging"];
    if (tagging !== undefined) {
      const pairs = new URLSearchParams(tagging);
      context["s3:requestobjecttagkeys"] = [...pairs.keys()];
      for (const [k, v] of pairs) context[`s3:requestobjecttag/${k.toLowerCase()}`] = v;
    }
    if (request.key !== undefined) {
      for (const tag of this.state.objectTags(bucket.name, request.key, request.versionId)) {
        context[`s3:existingobjecttag/${tag.Key.toLowerCase()}`] = tag.Value;
      }
    }
    return context;
  }

  private aclAllows(request: AccessRequest, bucket: BucketRecord, requester: { anonymous: boolean; canonicalId: string }, ignorePublic: boolean): boolean {
    if (request.key !== undefined && /^s3:(GetObject|PutObjectAcl|GetObjectAcl|PutObjectVersionAcl|GetObjectVersionAcl|GetObjectVersion|GetObjectAttributes|GetObjectVersionAttributes|GetObjectTorrent)$/.test(request.action)) {
      const grants = this.state.objectAcl(bucket, request.key, request.versionId)?.grants;
      if (grants && aclAllows(grants, requester, request.action, "object", ignorePublic)) return true;
    }
    const bucketGrants = this.state.bucketAcl(bucket).grants;
    return aclAllows(bucketGrants, requester, request.action, "bucket", ignorePublic);
  }

  /** ACLs sent with PutObject/CopyObject/CreateMultipartUpload/CreateBucket: ownership and BlockPublicAcls. */
  private checkCarriedAcl(request: AccessRequest): void {
    const input = request.input as GrantHeaders & { ACL?: string; ObjectOwnership?: string };
    if (input.ACL === undefined && !hasGrantHeaders(input)) return;
    if (request.operation === "CreateBucket") {
      if ((input.ObjectOwnership ?? "BucketOwnerEnforced") !== "BucketOwnerEnforced") return;
      const canned = input.ACL ?? "private";
      if (canned !== "private" || hasGrantHeaders(input)) throw aclWithEnforcedOwnership();
      return;
    }
    const bucket = request.bucket;
    if (!bucket) return;
    const ownerId = this.state.canonicalId(bucket.account);
    let grants: Grant[] = [];
    if (input.ACL !== undefined) grants = cannedGrants(input.ACL, this.state.canonicalId(request.ctx.account), request.ctx.account, { id: ownerId, name: bucket.account });
    if (hasGrantHeaders(input)) grants = grants.concat(headerGrants(input, (id) => id));
    if (!this.state.aclsApply(bucket.name)) {
      const writerIsOwner = request.ctx.account === bucket.account;
      const ownerOnly = input.ACL === "bucket-owner-full-control" || (writerIsOwner && isOwnerOnly(grants, ownerId));
      if (!ownerOnly) throw aclNotSupported();
      return;
    }
    const block = this.state.publicAccessBlock(bucket.name);
    if (block.BlockPublicAcls && (PUBLIC_CANNED_ACLS.has(input.ACL ?? "") || isAclPublic(grants))) throw accessDenied();
  }
}
