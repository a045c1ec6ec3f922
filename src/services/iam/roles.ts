/** Roles: create, read, update, delete, list, tags and permissions boundaries. */
import type { Cloud } from "../../cloud.js";
import { iamUniqueId } from "../../core/ids.js";
import type * as Iam from "../../generated/iam.js";
import type { CallContext } from "../types.js";
import { IamErrors } from "./errors.js";
import { findPolicy, requireModifiableRole, requireRole, toRole } from "./lookup.js";
import { paginate, paginateInOrder, underPath } from "./paging.js";
import { POLICY_QUOTAS, policySize, validatePolicyDocument } from "./policy-document.js";
import type { IamStore, RoleRecord } from "./store.js";
import { initialTags, mergeTags, removeTags } from "./tags.js";

export const ROLES_PER_ACCOUNT = 1000;

export function checkTrustPolicy(document: string): void {
  validatePolicyDocument(document, "trust");
  if (policySize(document) > POLICY_QUOTAS.trustPolicySize) throw IamErrors.quota("ACLSizePerRole", POLICY_QUOTAS.trustPolicySize);
}

export function checkBoundary(store: IamStore, account: string, arn: string): void {
  if (!findPolicy(store, account, arn)) throw IamErrors.noSuchBoundary(arn);
}

export class RoleOperations {
  constructor(
    private readonly cloud: Cloud,
    private readonly store: IamStore,
  ) {}

  CreateRole(input: Iam.CreateRoleRequest, ctx: CallContext): Iam.CreateRoleResponse {
    const roles = this.store.roles(ctx.account);
    checkTrustPolicy(input.AssumeRolePolicyDocument);
    if (roles.has(input.RoleName.toLowerCase())) throw IamErrors.roleExists(input.RoleName);
    if (roles.size >= ROLES_PER_ACCOUNT) throw IamErrors.quota("RolesPerAccount", ROLES_PER_ACCOUNT);
    if (input.PermissionsBoundary) checkBoundary(this.store, ctx.account, input.PermissionsBoundary);
    const path = input.Path ?? "/";
    const record: RoleRecord = {
      RoleName: input.RoleName,
      RoleId: iamUniqueId("AROA"),
      Arn: `arn:aws:iam::${ctx.account}:role${path}${input.RoleName}`,
      Path: path,
      CreateDate: this.cloud.clock.date(),
      AssumeRolePolicyDocument: input.AssumeRolePolicyDocument,
      Description: input.Description,
      MaxSessionDuration: input.MaxSessionDuration ?? 3600,
      PermissionsBoundaryArn: input.PermissionsBoundary,
      Tags: initialTags(input.Tags),
      InlinePolicies: {},
      AttachedPolicyArns: [],
    };
    roles.put(input.RoleName.toLowerCase(), record);
    return { Role: toRole(record, { tags: true, lastUsed: false, created: { maxSessionDuration: input.MaxSessionDuration !== undefined } }) };
  }

  GetRole(input: Iam.GetRoleRequest, ctx: CallContext): Iam.GetRoleResponse {
    return { Role: toRole(requireRole(this.store, ctx.account, input.RoleName), { tags: true, lastUsed: true }) };
  }

  DeleteRole(input: Iam.DeleteRoleRequest, ctx: CallContext): void {
    const role = requireModifiableRole(this.store, ctx.account, input.RoleName);
    const key = role.RoleName.toLowerCase();
    if (this.store.instanceProfiles(ctx.account).values().some((p) => p.Roles.some((r) => r.toLowerCase() === key))) {
      throw IamErrors.deleteConflict("Cannot delete entity, must remove roles from instance profile first.");
    }
    if (role.AttachedPolicyArns.length > 0) throw IamErrors.deleteConflict("Cannot delete entity, must detach all policies first.");
    if (Object.keys(role.InlinePolicies).length > 0) throw IamErrors.deleteConflict("Cannot delete entity, must delete policies first.");
    this.store.roles(ctx.account).delete(key);
  }

  ListRoles(input: Iam.ListRolesRequest, ctx: CallContext): Iam.ListRolesResponse {
    const roles = this.store.roles(ctx.account).values().filter((r) => underPath(r.Path, input.PathPrefix));
    const page = paginate(roles, (r) => r.RoleName, input.Marker, input.MaxItems);
    // ListRoles leaves out tags, the permissions boundary and RoleLastUsed, as AWS does.
    return { Roles: page.items.map((r) => toRole(r, { tags: false, lastUsed: false })), IsTruncated: page.IsTruncated, Marker: page.Marker };
  }

  UpdateRole(input: Iam.UpdateRoleRequest, ctx: CallContext): Iam.UpdateRoleResponse {
    // A service-linked role's description may be edited, nothing else.
    if (input.MaxSessionDuration !== undefined) requireModifiableRole(this.store, ctx.account, input.RoleName);
    this.update(ctx.account, input.RoleName, (role) => {
      if (input.Description !== undefined) role.Description = input.Description;
      if (input.MaxSessionDuration !== undefined) role.MaxSessionDuration = input.MaxSessionDuration;
    });
    return {};
  }

  UpdateRoleDescription(input: Iam.UpdateRoleDescriptionRequest, ctx: CallContext): Iam.UpdateRoleDescriptionResponse {
    const role = this.update(ctx.account, input.RoleName, (r) => {
      r.Description = input.Description;
    });
    return { Role: toRole(role, { tags: true, lastUsed: true }) };
  }

  UpdateAssumeRolePolicy(input: Iam.UpdateAssumeRolePolicyRequest, ctx: CallContext): void {
    requireModifiableRole(this.store, ctx.account, input.RoleName);
    checkTrustPolicy(input.PolicyDocument);
    this.update(ctx.account, input.RoleName, (r) => {
      r.AssumeRolePolicyDocument = input.PolicyDocument;
    });
  }

  PutRolePermissionsBoundary(input: Iam.PutRolePermissionsBoundaryRequest, ctx: CallContext): void {
    requireModifiableRole(this.store, ctx.account, input.RoleName);
    checkBoundary(this.store, ctx.account, input.PermissionsBoundary);
    this.update(ctx.account, input.RoleName, (r) => {
      r.PermissionsBoundaryArn = input.PermissionsBoundary;
    });
  }

  DeleteRolePermissionsBoundary(input: Iam.DeleteRolePermissionsBoundaryRequest, ctx: CallContext): void {
    requireModifiableRole(this.store, ctx.account, input.RoleName);
    this.update(ctx.account, input.RoleName, (r) => {
      delete r.PermissionsBoundaryArn;
    });
  }

  TagRole(input: Iam.TagRoleRequest, ctx: CallContext): void {
    const role = requireRole(this.store, ctx.account, input.RoleName);
    const tags = mergeTags(role.Tags, input.Tags);
    this.update(ctx.account, input.RoleName, (r) => {
      r.Tags = tags;
    });
  }

  UntagRole(input: Iam.UntagRoleRequest, ctx: CallContext): void {
    this.update(ctx.account, input.RoleName, (r) => {
      r.Tags = removeTags(r.Tags, input.TagKeys);
    });
  }

  ListRoleTags(input: Iam.ListRoleTagsRequest, ctx: CallContext): Iam.ListRoleTagsResponse {
    const role = requireRole(this.store, ctx.account, input.RoleName);
    const page = paginateInOrder(role.Tags, input.Marker, input.MaxItems);
    return { Tags: page.items, IsTruncated: page.IsTruncated, Marker: page.Marker };
  }

  private update(account: string, name: string, change: (role: RoleRecord) => void): RoleRecord {
    requireRole(this.store, account, name);
    return this.store.roles(account).update(name.toLowerCase(), change)!;
  }
}
