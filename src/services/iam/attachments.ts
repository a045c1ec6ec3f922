/**
 * Attaching managed policies (AWS's or the account's) to roles and users,
 * listing what is attached, and which entities use a policy (groups' own
 * attach operations are in group-policies.ts).
 */
import type * as Iam from "../../generated/iam.js";
import type { CallContext } from "../types.js";
import { IamErrors } from "./errors.js";
import { requireModifiableRole, requirePolicy, requireRole, requireUser } from "./lookup.js";
import { paginate, paginateInOrder, type Page } from "./paging.js";
import type { GroupRecord, IamStore, RoleRecord, UserRecord } from "./store.js";

/** Managed policies per role / user / group (IAM's default quotas). */
const MAX_ATTACHED = 10;

type Entity = RoleRecord | UserRecord | GroupRecord;
type Update<T> = (change: (e: T) => void) => unknown;

export function attachPolicy<T extends Entity>(store: IamStore, entity: T, arn: string, account: string, quota: string, update: Update<T>): void {
  // Attaching answers a policy name or other non-ARN with a ValidationError (two spaces, as AWS words it).
  if (!/^arn:[^:]+:iam::[^:]*:policy\/./.test(arn)) throw IamErrors.validation("Invalid ARN:  Could not be parsed!");
  requirePolicy(store, account, arn);
  if (entity.AttachedPolicyArns.includes(arn)) return;
  if (entity.AttachedPolicyArns.length >= MAX_ATTACHED) throw IamErrors.quota(quota, MAX_ATTACHED);
  update((e) => {
    e.AttachedPolicyArns.push(arn);
  });
}

export function detachPolicy<T extends Entity>(store: IamStore, entity: T, arn: string, account: string, update: Update<T>): void {
  requirePolicy(store, account, arn);
  if (!entity.AttachedPolicyArns.includes(arn)) throw IamErrors.policyNotAttached(arn);
  update((e) => {
    e.AttachedPolicyArns = e.AttachedPolicyArns.filter((a) => a !== arn);
  });
}

/** An entity's attached policies (name and ARN), PathPrefix-filtered and paged. */
export function attachedPolicies(store: IamStore, entity: Entity, account: string, input: { PathPrefix?: string; Marker?: string; MaxItems?: number }): Page<Iam.AttachedPolicy> {
  const rows: Iam.AttachedPolicy[] = [];
  for (const arn of entity.AttachedPolicyArns) {
    const resolved = requirePolicy(store, account, arn);
    if (input.PathPrefix === undefined || resolved.policy.Path.startsWith(input.PathPrefix)) {
      rows.push({ PolicyName: resolved.policy.PolicyName, PolicyArn: arn });
    }
  }
  return paginateInOrder(rows, input.Marker, input.MaxItems);
}

export class AttachmentOperations {
  constructor(private readonly store: IamStore) {}

  AttachRolePolicy(input: Iam.AttachRolePolicyRequest, ctx: CallContext): void {
    const role = requireModifiableRole(this.store, ctx.account, input.RoleName);
    attachPolicy(this.store, role, input.PolicyArn, ctx.account, "PoliciesPerRole", (change) => this.store.roles(ctx.account).update(role.RoleName.toLowerCase(), change));
  }

  DetachRolePolicy(input: Iam.DetachRolePolicyRequest, ctx: CallContext): void {
    const role = requireModifiableRole(this.store, ctx.account, input.RoleName);
    detachPolicy(this.store, role, input.PolicyArn, ctx.account, (change) => this.store.roles(ctx.account).update(role.RoleName.toLowerCase(), change));
  }

  ListAttachedRolePolicies(input: Iam.ListAttachedRolePoliciesRequest, ctx: CallContext): Iam.ListAttachedRolePoliciesResponse {
    const role = requireRole(this.store, ctx.account, input.RoleName);
    const page = attachedPolicies(this.store, role, ctx.account, input);
    return { AttachedPolicies: page.items, IsTruncated: page.IsTruncated, Marker: page.Marker };
  }

  AttachUserPolicy(input: Iam.AttachUserPolicyRequest, ctx: CallContext): void {
    const user = requireUser(this.store, ctx.account, input.UserName);
    attachPolicy(this.store, user, input.PolicyArn, ctx.account, "PoliciesPerUser", (change) => this.store.users(ctx.account).update(user.UserName.toLowerCase(), change));
  }

  DetachUserPolicy(input: Iam.DetachUserPolicyRequest, ctx: CallContext): void {
    const user = requireUser(this.store, ctx.account, input.UserName);
    detachPolicy(this.store, user, input.PolicyArn, ctx.account, (change) => this.store.users(ctx.account).update(user.UserName.toLowerCase(), change));
  }

  ListAttachedUserPolicies(input: Iam.ListAttachedUserPoliciesRequest, ctx: CallContext): Iam.ListAttachedUserPoliciesResponse {
    const user = requireUser(this.store, ctx.account, input.UserName);
    const page = attachedPolicies(this.store, user, ctx.account, input);
    return { AttachedPolicies: page.items, IsTruncated: page.IsTruncated, Marker: page.Marker };
  }

  ListEntitiesForPolicy(input: Iam.ListEntitiesForPolicyRequest, ctx: CallContext): Iam.ListEntitiesForPolicyResponse {
    const resolved = requirePolicy(this.store, ctx.account, input.PolicyArn);
    const filter = input.EntityFilter;
    const policyTypeExcluded =
      (filter === "LocalManagedPolicy" && resolved.kind !== "local") || (filter === "AWSManagedPolicy" && resolved.kind !== "aws");
    const uses = (entity: Entity) =>
      (input.PolicyUsageFilter !== "PermissionsBoundary" && entity.AttachedPolicyArns.includes(resolved.arn)) ||
      (input.PolicyUsageFilter !== "PermissionsPolicy" && !("GroupName" in entity) && entity.PermissionsBoundaryArn === resolved.arn);
    const underPath = (entity: Entity) => input.PathPrefix === undefined || entity.Path.startsWith(input.PathPrefix);
    const wanted = (type: "Role" | "User" | "Group") =>
      !policyTypeExcluded && (filter === undefined || filter === type || filter === "LocalManagedPolicy" || filter === "AWSManagedPolicy");
    type Row = { type: "Role" | "User" | "Group"; name: string; id: string };
    const rows: Row[] = [];
    if (wanted("Role")) {
      for (const role of this.store.roles(ctx.account).values()) {
        if (uses(role) && underPath(role)) rows.push({ type: "Role", name: role.RoleName, id: role.RoleId });
      }
    }
    if (wanted("User")) {
      for (const user of this.store.users(ctx.account).values()) {
        if (uses(user) && underPath(user)) rows.push({ type: "User", name: user.UserName, id: user.UserId });
      }
    }
    if (wanted("Group")) {
      for (const group of this.store.groups(ctx.account).values()) {
        if (uses(group) && underPath(group)) rows.push({ type: "Group", name: group.GroupName, id: group.GroupId });
      }
    }
    const page = paginate(rows, (r) => `${r.type}/${r.name}`, input.Marker, input.MaxItems);
    return {
      PolicyGroups: page.items.filter((r) => r.type === "Group").map((r) => ({ GroupName: r.name, GroupId: r.id })),
      PolicyUsers: page.items.filter((r) => r.type === "User").map((r) => ({ UserName: r.name, UserId: r.id })),
      PolicyRoles: page.items.filter((r) => r.type === "Role").map((r) => ({ RoleName: r.name, RoleId: r.id })),
      IsTruncated: page.IsTruncated,
      Marker: page.Marker,
    };
  }
}
