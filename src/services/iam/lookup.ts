/**
 * Finding IAM entities for an operation, with IAM's NoSuchEntity errors, and
 * turning records into the API's shapes (documents URL-encoded).
 */
import { parseArn } from "../../core/ids.js";
import type { Group, InstanceProfile, Policy, Role, User } from "../../generated/iam.js";
import { IamErrors } from "./errors.js";
import { awsManagedPolicy, isAwsManagedArn, type AwsManagedPolicy } from "./managed-catalogue.js";
import { encodeDocument } from "./policy-document.js";
import type { GroupRecord, IamStore, InstanceProfileRecord, ManagedPolicyRecord, RoleRecord, UserRecord } from "./store.js";

export function requireRole(store: IamStore, account: string, name: string): RoleRecord {
  const role = store.roles(account).get(name.toLowerCase());
  if (!role) throw IamErrors.noSuchRole(name);
  return role;
}

/** A role the caller may change: service-linked roles answer UnmodifiableEntity. */
export function requireModifiableRole(store: IamStore, account: string, name: string): RoleRecord {
  const role = requireRole(store, account, name);
  if (role.ServiceLinked) throw IamErrors.unmodifiableRole(role.RoleName);
  return role;
}

export function requireGroup(store: IamStore, account: string, name: string): GroupRecord {
  const group = store.groups(account).get(name.toLowerCase());
  if (!group) throw IamErrors.noSuchGroup(name);
  return group;
}

export function requireUser(store: IamStore, account: string, name: string): UserRecord {
  const user = store.users(account).get(name.toLowerCase());
  if (!user) throw IamErrors.noSuchUser(name);
  return user;
}

export function requireInstanceProfile(store: IamStore, account: string, name: string): InstanceProfileRecord {
  const profile = store.instanceProfiles(account).get(name.toLowerCase());
  if (!profile) throw IamErrors.noSuchInstanceProfile(name);
  return profile;
}

/** A managed policy, AWS's or the account's own, by ARN. */
export type ResolvedPolicy =
  | { kind: "aws"; arn: string; policy: AwsManagedPolicy }
  | { kind: "local"; arn: string; policy: ManagedPolicyRecord };

export function findPolicy(store: IamStore, account: string, arn: string): ResolvedPolicy | undefined {
  const parsed = parseArn(arn);
  if (!parsed || parsed.service !== "iam" || !parsed.resource.startsWith("policy/")) throw IamErrors.invalidArn(arn);
  if (isAwsManagedArn(arn)) {
    const policy = awsManagedPolicy(arn);
    return policy ? { kind: "aws", arn, policy } : undefined;
  }
  if (parsed.account !== account) return undefined;
  const name = parsed.resource.split("/").pop()!;
  const policy = store.policies(account).get(name.toLowerCase());
  return policy && policy.Arn === arn ? { kind: "local", arn, policy } : undefined;
}

export function requirePolicy(store: IamStore, account: string, arn: string): ResolvedPolicy {
  const policy = findPolicy(store, account, arn);
  if (!policy) throw IamErrors.noSuchPolicy(arn);
  return policy;
}

/** How many of the account's roles, users and groups have this policy attached, or as boundary. */
export function policyUsage(store: IamStore, account: string, arn: string): { attachments: number; boundaries: number } {
  let attachments = 0;
  let boundaries = 0;
  for (const entity of [...store.roles(account).values(), ...store.users(account).values()]) {
    if (entity.AttachedPolicyArns.includes(arn)) attachments++;
    if (entity.PermissionsBoundaryArn === arn) boundaries++;
  }
  for (const group of store.groups(account).values()) if (group.AttachedPolicyArns.includes(arn)) attachments++;
  return { attachments, boundaries };
}

/** `created`: CreateRole's answer, which leaves out MaxSessionDuration unless the caller set one. */
export function toRole(record: RoleRecord, detail: { tags: boolean; lastUsed: boolean; created?: { maxSessionDuration: boolean } }): Role {
  return {
    Path: record.Path,
    RoleName: record.RoleName,
    RoleId: record.RoleId,
    Arn: record.Arn,
    CreateDate: record.CreateDate,
    AssumeRolePolicyDocument: encodeDocument(record.AssumeRolePolicyDocument),
    Description: record.Description,
    MaxSessionDuration: !detail.created || detail.created.maxSessionDuration ? record.MaxSessionDuration : undefined,
    PermissionsBoundary:
      detail.tags && record.PermissionsBoundaryArn
        ? { PermissionsBoundaryType: "PermissionsBoundaryPolicy", PermissionsBoundaryArn: record.PermissionsBoundaryArn }
        : undefined,
    Tags: detail.tags && record.Tags.length ? record.Tags : undefined,
    RoleLastUsed: detail.lastUsed ? {} : undefined,
  };
}

export function toUser(record: UserRecord, withTags: boolean): User {
  return {
    Path: record.Path,
    UserName: record.UserName,
    UserId: record.UserId,
    Arn: record.Arn,
    CreateDate: record.CreateDate,
    PermissionsBoundary:
      withTags && record.PermissionsBoundaryArn
        ? { PermissionsBoundaryType: "PermissionsBoundaryPolicy", PermissionsBoundaryArn: record.PermissionsBoundaryArn }
        : undefined,
    Tags: withTags && record.Tags.length ? record.Tags : undefined,
  };
}

export function toGroup(record: GroupRecord): Group {
  return { Path: record.Path, GroupName: record.GroupName, GroupId: record.GroupId, Arn: record.Arn, CreateDate: record.CreateDate };
}

export function toInstanceProfile(store: IamStore, account: string, record: InstanceProfileRecord, withTags: boolean): InstanceProfile {
  const roles: Role[] = [];
  for (const name of record.Roles) {
    const role = store.roles(account).get(name.toLowerCase());
    if (role) roles.push(toRole(role, { tags: false, lastUsed: false }));
  }
  return {
    Path: record.Path,
    InstanceProfileName: record.InstanceProfileName,
    InstanceProfileId: record.InstanceProfileId,
    Arn: record.Arn,
    CreateDate: record.CreateDate,
    Roles: roles,
    Tags: withTags && record.Tags.length ? record.Tags : undefined,
  };
}

export function toPolicy(store: IamStore, account: string, resolved: ResolvedPolicy, detail: { description: boolean; tags: boolean }): Policy {
  const usage = policyUsage(store, account, resolved.arn);
  const p = resolved.policy;
  return {
    PolicyName: p.PolicyName,
    PolicyId: p.PolicyId,
    Arn: p.Arn,
    Path: p.Path,
    DefaultVersionId: p.DefaultVersionId,
    AttachmentCount: usage.attachments,
    PermissionsBoundaryUsageCount: usage.boundaries,
    IsAttachable: true,
    Description: detail.description ? p.Description : undefined,
    CreateDate: p.CreateDate,
    UpdateDate: p.UpdateDate,
    Tags: detail.tags && resolved.kind === "local" && resolved.policy.Tags.length ? resolved.policy.Tags : undefined,
  };
}

/** The account a user-visible ARN belongs to, or undefined when it is not an ARN. */
export function arnAccount(arn: string): string | undefined {
  return parseArn(arn)?.account;
}
