/**
 * Customer managed policies and their versions (at most five, ids never
 * reused), and the AWS managed policies from the catalogue, read-only.
 */
import type { Cloud } from "../../cloud.js";
import { AwsError } from "../../core/errors.js";
import { iamUniqueId } from "../../core/ids.js";
import type * as Iam from "../../generated/iam.js";
import type { CallContext } from "../types.js";
import { IamErrors } from "./errors.js";
import { findPolicy, policyUsage, requirePolicy, toPolicy, type ResolvedPolicy } from "./lookup.js";
import { awsManagedPolicies } from "./managed-catalogue.js";
import { paginate, paginateInOrder, underPath } from "./paging.js";
import { encodeDocument, POLICY_QUOTAS, policySize, validatePolicyDocument } from "./policy-document.js";
import type { IamStore, ManagedPolicyRecord } from "./store.js";
import { initialTags, mergeTags, removeTags } from "./tags.js";

const MAX_VERSIONS = 5;
const POLICIES_PER_ACCOUNT = 1500;

function checkManagedDocument(document: string): void {
  validatePolicyDocument(document, "identity");
  if (policySize(document) > POLICY_QUOTAS.managedPolicySize) throw IamErrors.quota("PolicySize", POLICY_QUOTAS.managedPolicySize);
}

/** AWS managed policies belong to AWS: an account can attach them, not change them. */
function notAuthorized(ctx: CallContext, action: string, arn: string): AwsError {
  return new AwsError("AccessDenied", `User: ${ctx.principalArn} is not authorized to perform: iam:${action} on resource: policy ${arn}`, { status: 403 });
}

export class PolicyOperations {
  constructor(
    private readonly cloud: Cloud,
    private readonly store: IamStore,
  ) {}

  CreatePolicy(input: Iam.CreatePolicyRequest, ctx: CallContext): Iam.CreatePolicyResponse {
    const policies = this.store.policies(ctx.account);
    checkManagedDocument(input.PolicyDocument);
    if (policies.has(input.PolicyName.toLowerCase())) throw IamErrors.policyExists(input.PolicyName);
    if (policies.size >= POLICIES_PER_ACCOUNT) throw IamErrors.quota("PoliciesPerAccount", POLICIES_PER_ACCOUNT);
    const path = input.Path ?? "/";
    const now = this.cloud.clock.date();
    const record: ManagedPolicyRecord = {
      PolicyName: input.PolicyName,
      PolicyId: iamUniqueId("ANPA"),
      Arn: `arn:aws:iam::${ctx.account}:policy${path}${input.PolicyName}`,
      Path: path,
      Description: input.Description,
      CreateDate: now,
      UpdateDate: now,
      DefaultVersionId: "v1",
      Versions: [{ VersionId: "v1", Document: input.PolicyDocument, CreateDate: now }],
      LastVersion: 1,
      Tags: initialTags(input.Tags),
    };
    policies.put(input.PolicyName.toLowerCase(), record);
    return { Policy: toPolicy(this.store, ctx.account, { kind: "local", arn: record.Arn, policy: record }, { description: true, tags: true }) };
  }

  GetPolicy(input: Iam.GetPolicyRequest, ctx: CallContext): Iam.GetPolicyResponse {
    const resolved = requirePolicy(this.store, ctx.account, input.PolicyArn);
    return { Policy: toPolicy(this.store, ctx.account, resolved, { description: true, tags: true }) };
  }

  DeletePolicy(input: Iam.DeletePolicyRequest, ctx: CallContext): void {
    // Deleting a policy that does not exist is worded differently from looking one up.
    if (!findPolicy(this.store, ctx.account, input.PolicyArn)) throw IamErrors.policyNotAttached(input.PolicyArn);
    const policy = this.local(ctx, input.PolicyArn, "DeletePolicy");
    const usage = policyUsage(this.store, ctx.account, policy.Arn);
    if (usage.attachments + usage.boundaries > 0) throw IamErrors.deleteConflict("Cannot delete a policy attached to entities.");
    if (policy.Versions.length > 1) {
      throw IamErrors.deleteConflict(
        "This policy has more than one version. Before you delete a policy, you must delete the policy's versions. The default version is deleted with the policy.",
      );
    }
    this.store.policies(ctx.account).delete(policy.PolicyName.toLowerCase());
  }

  ListPolicies(input: Iam.ListPoliciesRequest, ctx: CallContext): Iam.ListPoliciesResponse {
    const scope = input.Scope ?? "All";
    const candidates: ResolvedPolicy[] = [];
    if (scope !== "Local") for (const p of awsManagedPolicies()) candidates.push({ kind: "aws", arn: p.Arn, policy: p });
    if (scope !== "AWS") for (const p of this.store.policies(ctx.account).values()) candidates.push({ kind: "local", arn: p.Arn, policy: p });
    const selected = candidates.filter((c) => {
      if (!underPath(c.policy.Path, input.PathPrefix)) return false;
      const usage = policyUsage(this.store, ctx.account, c.arn);
      if (input.OnlyAttached && usage.attachments + usage.boundaries === 0) return false;
      if (input.PolicyUsageFilter === "PermissionsPolicy" && input.OnlyAttached && usage.attachments === 0) return false;
      if (input.PolicyUsageFilter === "PermissionsBoundary" && input.OnlyAttached && usage.boundaries === 0) return false;
      return true;
    });
    const page = paginate(selected, (c) => c.policy.PolicyName, input.Marker, input.MaxItems);
    return {
      Policies: page.items.map((c) => toPolicy(this.store, ctx.account, c, { description: false, tags: false })),
      IsTruncated: page.IsTruncated,
      Marker: page.Marker,
    };
  }

  CreatePolicyVersion(input: Iam.CreatePolicyVersionRequest, ctx: CallContext): Iam.CreatePolicyVersionResponse {
    const policy = this.local(ctx, input.PolicyArn, "CreatePolicyVersion");
    checkManagedDocument(input.PolicyDocument);
    if (policy.Versions.length >= MAX_VERSIONS) {
      throw IamErrors.limitExceeded("A managed policy can have up to 5 versions. Before you create a new version, you must delete an existing version.");
    }
    const now = this.cloud.clock.date();
    const versionId = `v${policy.LastVersion + 1}`;
    this.store.policies(ctx.account).update(policy.PolicyName.toLowerCase(), (p) => {
      p.Versions.push({ VersionId: versionId, Document: input.PolicyDocument, CreateDate: now });
      p.LastVersion += 1;
      if (input.SetAsDefault) {
        p.DefaultVersionId = versionId;
        p.UpdateDate = now;
      }
    });
    return { PolicyVersion: { VersionId: versionId, IsDefaultVersion: !!input.SetAsDefault, CreateDate: now } };
  }

  GetPolicyVersion(input: Iam.GetPolicyVersionRequest, ctx: CallContext): Iam.GetPolicyVersionResponse {
    const resolved = requirePolicy(this.store, ctx.account, input.PolicyArn);
    const version = versionsOf(resolved).find((v) => v.VersionId === input.VersionId);
    if (!version) throw IamErrors.noSuchPolicyVersion(input.PolicyArn, input.VersionId);
    return { PolicyVersion: { ...version, Document: encodeDocument(version.Document) } };
  }

  ListPolicyVersions(input: Iam.ListPolicyVersionsRequest, ctx: CallContext): Iam.ListPolicyVersionsResponse {
    const resolved = requirePolicy(this.store, ctx.account, input.PolicyArn);
    // Newest first, without documents, as IAM lists them.
    const versions = versionsOf(resolved)
      .reverse()
      .map(({ VersionId, IsDefaultVersion, CreateDate }) => ({ VersionId, IsDefaultVersion, CreateDate }));
    const page = paginateInOrder(versions, input.Marker, input.MaxItems);
    return { Versions: page.items, IsTruncated: page.IsTruncated, Marker: page.Marker };
  }

  DeletePolicyVersion(input: Iam.DeletePolicyVersionRequest, ctx: CallContext): void {
    const policy = this.local(ctx, input.PolicyArn, "DeletePolicyVersion");
    if (!policy.Versions.some((v) => v.VersionId === input.VersionId)) throw IamErrors.noSuchPolicyVersion(input.PolicyArn, input.VersionId);
    if (policy.DefaultVersionId === input.VersionId) throw IamErrors.deleteConflict("Cannot delete the default version of a policy.");
    this.store.policies(ctx.account).update(policy.PolicyName.toLowerCase(), (p) => {
      p.Versions = p.Versions.filter((v) => v.VersionId !== input.VersionId);
    });
  }

  SetDefaultPolicyVersion(input: Iam.SetDefaultPolicyVersionRequest, ctx: CallContext): void {
    const policy = this.local(ctx, input.PolicyArn, "SetDefaultPolicyVersion");
    if (!policy.Versions.some((v) => v.VersionId === input.VersionId)) throw IamErrors.noSuchPolicyVersion(input.PolicyArn, input.VersionId);
    this.store.policies(ctx.account).update(policy.PolicyName.toLowerCase(), (p) => {
      p.DefaultVersionId = input.VersionId;
      p.UpdateDate = this.cloud.clock.date();
    });
  }

  TagPolicy(input: Iam.TagPolicyRequest, ctx: CallContext): void {
    const policy = this.local(ctx, input.PolicyArn, "TagPolicy");
    const tags = mergeTags(policy.Tags, input.Tags);
    this.store.policies(ctx.account).update(policy.PolicyName.toLowerCase(), (p) => {
      p.Tags = tags;
    });
  }

  UntagPolicy(input: Iam.UntagPolicyRequest, ctx: CallContext): void {
    const policy = this.local(ctx, input.PolicyArn, "UntagPolicy");
    this.store.policies(ctx.account).update(policy.PolicyName.toLowerCase(), (p) => {
      p.Tags = removeTags(p.Tags, input.TagKeys);
    });
  }

  ListPolicyTags(input: Iam.ListPolicyTagsRequest, ctx: CallContext): Iam.ListPolicyTagsResponse {
    const resolved = requirePolicy(this.store, ctx.account, input.PolicyArn);
    const tags = resolved.kind === "local" ? resolved.policy.Tags : [];
    const page = paginateInOrder(tags, input.Marker, input.MaxItems);
    return { Tags: page.items, IsTruncated: page.IsTruncated, Marker: page.Marker };
  }

  /** A customer managed policy the caller may change. */
  private local(ctx: CallContext, arn: string, action: string): ManagedPolicyRecord {
    const resolved = requirePolicy(this.store, ctx.account, arn);
    if (resolved.kind === "aws") throw notAuthorized(ctx, action, arn);
    return resolved.policy;
  }
}

export function versionsOf(resolved: ResolvedPolicy): Array<{ VersionId: string; Document: string; CreateDate: Date; IsDefaultVersion: boolean }> {
  if (resolved.kind === "aws") {
    const p = resolved.policy;
    return [{ VersionId: p.DefaultVersionId, Document: p.Document, CreateDate: p.VersionCreateDate, IsDefaultVersion: true }];
  }
  const p = resolved.policy;
  return p.Versions.map((v) => ({ ...v, IsDefaultVersion: v.VersionId === p.DefaultVersionId }));
}
