/**
 * GetAccountAuthorizationDetails: every user (with its groups and policies),
 * group, role (with its instance profiles) and managed policy (with its
 * versions) of the account, as one list paged with Marker/MaxItems. AWS
 * managed policies appear when something in the account uses them.
 */
import type * as Iam from "../../generated/iam.js";
import type { CallContext } from "../types.js";
import { findPolicy, policyUsage, toInstanceProfile, toPolicy, type ResolvedPolicy } from "./lookup.js";
import { awsManagedPolicies } from "./managed-catalogue.js";
import { paginateInOrder } from "./paging.js";
import { versionsOf } from "./policies.js";
import { encodeDocument } from "./policy-document.js";
import type { GroupRecord, IamStore, RoleRecord, UserRecord } from "./store.js";

type Item =
  | { kind: "user"; detail: Iam.UserDetail }
  | { kind: "group"; detail: Iam.GroupDetail }
  | { kind: "role"; detail: Iam.RoleDetail }
  | { kind: "policy"; detail: Iam.ManagedPolicyDetail };

const ALL: Iam.EntityType[] = ["User", "Role", "Group", "LocalManagedPolicy", "AWSManagedPolicy"];
const byName = <T>(name: (item: T) => string) => (a: T, b: T) => (name(a) < name(b) ? -1 : name(a) > name(b) ? 1 : 0);

export class AuthorizationDetailsOperations {
  constructor(private readonly store: IamStore) {}

  GetAccountAuthorizationDetails(input: Iam.GetAccountAuthorizationDetailsRequest, ctx: CallContext): Iam.GetAccountAuthorizationDetailsResponse {
    const wanted = new Set(input.Filter?.length ? input.Filter : ALL);
    const a = ctx.account;
    const items: Item[] = [];
    if (wanted.has("User")) {
      for (const user of this.store.users(a).values().sort(byName((u) => u.UserName))) items.push({ kind: "user", detail: this.user(a, user) });
    }
    if (wanted.has("Group")) {
      for (const group of this.store.groups(a).values().sort(byName((g) => g.GroupName))) items.push({ kind: "group", detail: this.group(a, group) });
    }
    if (wanted.has("Role")) {
      for (const role of this.store.roles(a).values().sort(byName((r) => r.RoleName))) items.push({ kind: "role", detail: this.role(a, role) });
    }
    const policies: ResolvedPolicy[] = [];
    if (wanted.has("LocalManagedPolicy")) for (const p of this.store.policies(a).values()) policies.push({ kind: "local", arn: p.Arn, policy: p });
    if (wanted.has("AWSManagedPolicy")) {
      for (const p of awsManagedPolicies()) {
        const usage = policyUsage(this.store, a, p.Arn);
        if (usage.attachments + usage.boundaries > 0) policies.push({ kind: "aws", arn: p.Arn, policy: p });
      }
    }
    for (const p of policies.sort(byName((r) => r.policy.PolicyName))) items.push({ kind: "policy", detail: this.policy(a, p) });

    const page = paginateInOrder(items, input.Marker, input.MaxItems);
    const of = <K extends Item["kind"]>(kind: K) => page.items.filter((i): i is Extract<Item, { kind: K }> => i.kind === kind).map((i) => i.detail);
    return {
      UserDetailList: of("user") as Iam.UserDetail[],
      GroupDetailList: of("group") as Iam.GroupDetail[],
      RoleDetailList: of("role") as Iam.RoleDetail[],
      Policies: of("policy") as Iam.ManagedPolicyDetail[],
      IsTruncated: page.IsTruncated,
      Marker: page.Marker,
    };
  }

  private user(account: string, user: UserRecord): Iam.UserDetail {
    return {
      Path: user.Path,
      UserName: user.UserName,
      UserId: user.UserId,
      Arn: user.Arn,
      CreateDate: user.CreateDate,
      UserPolicyList: inline(user.InlinePolicies),
      GroupList: this.store.groupsOfUser(account, user.UserName).map((g) => g.GroupName).sort(),
      AttachedManagedPolicies: this.attached(account, user.AttachedPolicyArns),
      PermissionsBoundary: boundary(user.PermissionsBoundaryArn),
      Tags: user.Tags.length ? user.Tags : undefined,
    };
  }

  private group(account: string, group: GroupRecord): Iam.GroupDetail {
    return {
      Path: group.Path,
      GroupName: group.GroupName,
      GroupId: group.GroupId,
      Arn: group.Arn,
      CreateDate: group.CreateDate,
      GroupPolicyList: inline(group.InlinePolicies),
      AttachedManagedPolicies: this.attached(account, group.AttachedPolicyArns),
    };
  }

  private role(account: string, role: RoleRecord): Iam.RoleDetail {
    const key = role.RoleName.toLowerCase();
    const profiles = this.store
      .instanceProfiles(account)
      .values()
      .filter((p) => p.Roles.some((r) => r.toLowerCase() === key));
    return {
      Path: role.Path,
      RoleName: role.RoleName,
      RoleId: role.RoleId,
      Arn: role.Arn,
      CreateDate: role.CreateDate,
      AssumeRolePolicyDocument: encodeDocument(role.AssumeRolePolicyDocument),
      InstanceProfileList: profiles.map((p) => toInstanceProfile(this.store, account, p, false)),
      RolePolicyList: inline(role.InlinePolicies),
      AttachedManagedPolicies: this.attached(account, role.AttachedPolicyArns),
      PermissionsBoundary: boundary(role.PermissionsBoundaryArn),
      Tags: role.Tags.length ? role.Tags : undefined,
      RoleLastUsed: {},
    };
  }

  private policy(account: string, resolved: ResolvedPolicy): Iam.ManagedPolicyDetail {
    const { Tags: _tags, ...policy } = toPolicy(this.store, account, resolved, { description: true, tags: false });
    const versions = versionsOf(resolved).map((v) => ({ ...v, Document: encodeDocument(v.Document) }));
    return { ...policy, PolicyVersionList: versions };
  }

  private attached(account: string, arns: string[]): Iam.AttachedPolicy[] {
    const out: Iam.AttachedPolicy[] = [];
    for (const arn of arns) {
      const resolved = findPolicy(this.store, account, arn);
      if (resolved) out.push({ PolicyName: resolved.policy.PolicyName, PolicyArn: arn });
    }
    return out;
  }
}

function inline(policies: Record<string, string>): Iam.PolicyDetail[] {
  return Object.entries(policies).map(([PolicyName, document]) => ({ PolicyName, PolicyDocument: encodeDocument(document) }));
}

function boundary(arn: string | undefined): Iam.AttachedPermissionsBoundary | undefined {
  return arn ? { PermissionsBoundaryType: "PermissionsBoundaryPolicy", PermissionsBoundaryArn: arn } : undefined;
}
