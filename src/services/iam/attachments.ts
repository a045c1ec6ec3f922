/**
 * Attaching managed policies (AWS's or the account's) to roles and users,
 * listing what is attached, and which entities use a policy.
 */
import type * as Iam from "../../generated/iam.js";
import type { CallContext } from "../types.js";
import { IamErrors } from "./errors.js";
import { requirePolicy, requireRole, requireUser } from "./lookup.js";
import { paginate, paginateInOrder } from "./paging.js";
import type { IamStore, RoleRecord, UserRecord } from "./store.js";

/** Managed policies per role / per user (IAM's default quotas). */
const MAX_ATTACHED = 10;

type Entity = RoleRecord | UserRecord;

export class AttachmentOperations {
  constructor(private readonly store: IamStore) {}

  AttachRolePolicy(input: Iam.AttachRolePolicyRequest, ctx: CallContext): void {
    const role = requireRole(this.store, ctx.account, input.RoleName);
    this.attach(role, input.PolicyArn, ctx, "PoliciesPerRole", (change) => this.store.roles(ctx.account).update(role.RoleName.toLowerCase(), change));
  }

  DetachRolePolicy(input: Iam.DetachRolePolicyRequest, ctx: CallContext): void {
    const role = requireRole(this.store, ctx.account, input.RoleName);
    this.detach(role, input.PolicyArn, ctx, (change) => this.store.roles(ctx.account).update(role.RoleName.toLowerCase(), change));
  }

  ListAttachedRolePolicies(input: Iam.ListAttachedRolePoliciesRequest, ctx: CallContext): Iam.ListAttachedRolePoliciesResponse {
    const role = requireRole(this.store, ctx.account, input.RoleName);
    const page = this.attached(role, ctx, input);
    return { AttachedPolicies: page.items, IsTruncated: page.IsTruncated, Marker: page.Marker };
  }

  AttachUserPolicy(input: Iam.AttachUserPolicyRequest, ctx: CallContext): void {
    const user = requireUser(this.store, ctx.account, input.UserName);
    this.attach(user, input.PolicyArn, ctx, "PoliciesPerUser", (change) => this.store.users(ctx.account).update(user.UserName.toLowerCase(), change));
  }

  DetachUserPolicy(input: Iam.DetachUserPolicyRequest, ctx: CallContext): void {
    const user = requireUser(this.store, ctx.account, input.UserName);
    this.detach(user, input.PolicyArn, ctx, (change) => this.store.users(ctx.account).update(user.UserName.toLowerCase(), change));
  }

  ListAttachedUserPolicies(input: Iam.ListAttachedUserPoliciesRequest, ctx: CallContext): Iam.ListAttachedUserPoliciesResponse {
    const user = requireUser(this.store, ctx.account, input.UserName);
    const page = this.attached(user, ctx, input);
    return { AttachedPolicies: page.items, IsTruncated: page.IsTruncated, Marker: page.Marker };
  }

  ListEntitiesForPolicy(input: Iam.ListEntitiesForPolicyRequest, ctx: CallContext): Iam.ListEntitiesForPolicyResponse {
    const resolved = requirePolicy(this.store, ctx.account, input.PolicyArn);
    const filter = input.EntityFilter;
    const policyTypeExcluded =
      (filter === "LocalManagedPolicy" && resolved.kind !== "local") || (filter === "AWSManagedPolicy" && resolved.kind !== "aws");
    const uses = (entity: Entity) =>
      (input.PolicyUsageFilter !== "PermissionsBoundary" && entity.AttachedPolicyArns.includes(resolved.arn)) ||
      (input.PolicyUsageFilter !== "PermissionsPolicy" && entity.PermissionsBoundaryArn === resolved.arn);
    const underPath = (entity: Entity) => input.PathPrefix === undefined || entity.Path.startsWith(input.PathPrefix);
    type Row = { type: "Role" | "User"; name: string; id: string };
    const rows: Row[] = [];
    if (!policyTypeExcluded && (filter === undefined || filter === "Role" || filter === "LocalManagedPolicy" || filter === "AWSManagedPolicy")) {
      for (const role of this.store.roles(ctx.account).values()) {
        if (uses(role) && underPath(role)) rows.push({ type: "Role", name: role.RoleName, id: role.RoleId });
      }
    }
    if (!policyTypeExcluded && (filter === undefined || filter === "User" || filter === "LocalManagedPolicy" || filter === "AWSManagedPolicy")) {
      for (const user of this.store.users(ctx.account).values()) {
        if (uses(user) && underPath(user)) rows.push({ type: "User", name: user.UserName, id: user.UserId });
      }
    }
    const page = paginate(rows, (r) => `${r.type}/${r.name}`, input.Marker, input.MaxItems);
    return {
      PolicyGroups: [],
      PolicyUsers: page.items.filter((r) => r.type === "User").map((r) => ({ UserName: r.name, UserId: r.id })),
      PolicyRoles: page.items.filter((r) => r.type === "Role").map((r) => ({ RoleName: r.name, RoleId: r.id })),
      IsTruncated: page.IsTruncated,
      Marker: page.Marker,
    };
  }

  private attach<T extends Entity>(entity: T, arn: string, ctx: CallContext, quota: string, update: (change: (e: T) => void) => unknown): void {
    // Attaching answers a policy name or other non-ARN with a ValidationError (two spaces, as AWS words it).
    if (!/^arn:[^:]+:iam::[^:]*:policy\/./.test(arn)) throw IamErrors.validation("Invalid ARN:  Could not be parsed!");
    requirePolicy(this.store, ctx.account, arn);
    if (entity.AttachedPolicyArns.includes(arn)) return;
    if (entity.AttachedPolicyArns.length >= MAX_ATTACHED) throw IamErrors.quota(quota, MAX_ATTACHED);
    update((e) => {
      e.AttachedPolicyArns.push(arn);
    });
  }

  private detach<T extends Entity>(entity: T, arn: string, ctx: CallContext, update: (change: (e: T) => void) => unknown): void {
    requirePolicy(this.store, ctx.account, arn);
    if (!entity.AttachedPolicyArns.includes(arn)) throw IamErrors.policyNotAttached(arn);
    update((e) => {
      e.AttachedPolicyArns = e.AttachedPolicyArns.filter((a) => a !== arn);
    });
  }

  private attached(entity: Entity, ctx: CallContext, input: { PathPrefix?: string; Marker?: string; MaxItems?: number }) {
    const rows: Iam.AttachedPolicy[] = [];
    for (const arn of entity.AttachedPolicyArns) {
      const resolved = requirePolicy(this.store, ctx.account, arn);
      if (input.PathPrefix === undefined || resolved.policy.Path.startsWith(input.PathPrefix)) {
        rows.push({ PolicyName: resolved.policy.PolicyName, PolicyArn: arn });
      }
    }
    return paginateInOrder(rows, input.Marker, input.MaxItems);
  }
}
