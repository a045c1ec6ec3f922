/** Instance profiles: the container that hands one role to EC2 instances. */
import type { Cloud } from "../../cloud.js";
import { iamUniqueId } from "../../core/ids.js";
import type * as Iam from "../../generated/iam.js";
import type { CallContext } from "../types.js";
import { IamErrors } from "./errors.js";
import { requireInstanceProfile, requireModifiableRole, requireRole, toInstanceProfile } from "./lookup.js";
import { paginate, paginateInOrder, underPath } from "./paging.js";
import type { IamStore, InstanceProfileRecord } from "./store.js";
import { initialTags, mergeTags, removeTags } from "./tags.js";

const ROLES_PER_PROFILE = 1;
const PROFILES_PER_ACCOUNT = 1000;

export class InstanceProfileOperations {
  constructor(
    private readonly cloud: Cloud,
    private readonly store: IamStore,
  ) {}

  CreateInstanceProfile(input: Iam.CreateInstanceProfileRequest, ctx: CallContext): Iam.CreateInstanceProfileResponse {
    const profiles = this.store.instanceProfiles(ctx.account);
    if (profiles.has(input.InstanceProfileName.toLowerCase())) throw IamErrors.instanceProfileExists(input.InstanceProfileName);
    if (profiles.size >= PROFILES_PER_ACCOUNT) throw IamErrors.quota("InstanceProfilesPerAccount", PROFILES_PER_ACCOUNT);
    const path = input.Path ?? "/";
    const record: InstanceProfileRecord = {
      InstanceProfileName: input.InstanceProfileName,
      InstanceProfileId: iamUniqueId("AIPA"),
      Arn: `arn:aws:iam::${ctx.account}:instance-profile${path}${input.InstanceProfileName}`,
      Path: path,
      CreateDate: this.cloud.clock.date(),
      Roles: [],
      Tags: initialTags(input.Tags),
    };
    profiles.put(input.InstanceProfileName.toLowerCase(), record);
    return { InstanceProfile: toInstanceProfile(this.store, ctx.account, record, true) };
  }

  GetInstanceProfile(input: Iam.GetInstanceProfileRequest, ctx: CallContext): Iam.GetInstanceProfileResponse {
    const profile = requireInstanceProfile(this.store, ctx.account, input.InstanceProfileName);
    return { InstanceProfile: toInstanceProfile(this.store, ctx.account, profile, true) };
  }

  DeleteInstanceProfile(input: Iam.DeleteInstanceProfileRequest, ctx: CallContext): void {
    const profile = requireInstanceProfile(this.store, ctx.account, input.InstanceProfileName);
    if (profile.Roles.length > 0) throw IamErrors.deleteConflict("Cannot delete entity, must remove roles from instance profile first.");
    this.store.instanceProfiles(ctx.account).delete(profile.InstanceProfileName.toLowerCase());
  }

  ListInstanceProfiles(input: Iam.ListInstanceProfilesRequest, ctx: CallContext): Iam.ListInstanceProfilesResponse {
    const profiles = this.store.instanceProfiles(ctx.account).values().filter((p) => underPath(p.Path, input.PathPrefix));
    const page = paginate(profiles, (p) => p.InstanceProfileName, input.Marker, input.MaxItems);
    return {
      InstanceProfiles: page.items.map((p) => toInstanceProfile(this.store, ctx.account, p, false)),
      IsTruncated: page.IsTruncated,
      Marker: page.Marker,
    };
  }

  AddRoleToInstanceProfile(input: Iam.AddRoleToInstanceProfileRequest, ctx: CallContext): void {
    const profile = requireInstanceProfile(this.store, ctx.account, input.InstanceProfileName);
    const role = requireModifiableRole(this.store, ctx.account, input.RoleName);
    if (profile.Roles.length >= ROLES_PER_PROFILE) throw IamErrors.quota("InstanceSessionsPerInstanceProfile", ROLES_PER_PROFILE);
    this.store.instanceProfiles(ctx.account).update(profile.InstanceProfileName.toLowerCase(), (p) => {
      p.Roles.push(role.RoleName);
    });
  }

  RemoveRoleFromInstanceProfile(input: Iam.RemoveRoleFromInstanceProfileRequest, ctx: CallContext): void {
    const profile = requireInstanceProfile(this.store, ctx.account, input.InstanceProfileName);
    const key = input.RoleName.toLowerCase();
    if (!profile.Roles.some((r) => r.toLowerCase() === key)) throw IamErrors.noSuchRole(input.RoleName);
    if (this.store.roles(ctx.account).get(key)?.ServiceLinked) throw IamErrors.unmodifiableRole(input.RoleName);
    this.store.instanceProfiles(ctx.account).update(profile.InstanceProfileName.toLowerCase(), (p) => {
      p.Roles = p.Roles.filter((r) => r.toLowerCase() !== key);
    });
  }

  ListInstanceProfilesForRole(input: Iam.ListInstanceProfilesForRoleRequest, ctx: CallContext): Iam.ListInstanceProfilesForRoleResponse {
    const role = requireRole(this.store, ctx.account, input.RoleName);
    const key = role.RoleName.toLowerCase();
    const profiles = this.store.instanceProfiles(ctx.account).values().filter((p) => p.Roles.some((r) => r.toLowerCase() === key));
    const page = paginate(profiles, (p) => p.InstanceProfileName, input.Marker, input.MaxItems);
    return {
      InstanceProfiles: page.items.map((p) => toInstanceProfile(this.store, ctx.account, p, false)),
      IsTruncated: page.IsTruncated,
      Marker: page.Marker,
    };
  }

  TagInstanceProfile(input: Iam.TagInstanceProfileRequest, ctx: CallContext): void {
    const profile = requireInstanceProfile(this.store, ctx.account, input.InstanceProfileName);
    const tags = mergeTags(profile.Tags, input.Tags);
    this.store.instanceProfiles(ctx.account).update(profile.InstanceProfileName.toLowerCase(), (p) => {
      p.Tags = tags;
    });
  }

  UntagInstanceProfile(input: Iam.UntagInstanceProfileRequest, ctx: CallContext): void {
    const profile = requireInstanceProfile(this.store, ctx.account, input.InstanceProfileName);
    this.store.instanceProfiles(ctx.account).update(profile.InstanceProfileName.toLowerCase(), (p) => {
      p.Tags = removeTags(p.Tags, input.TagKeys);
    });
  }

  ListInstanceProfileTags(input: Iam.ListInstanceProfileTagsRequest, ctx: CallContext): Iam.ListInstanceProfileTagsResponse {
    const profile = requireInstanceProfile(this.store, ctx.account, input.InstanceProfileName);
    const page = paginateInOrder(profile.Tags, input.Marker, input.MaxItems);
    return { Tags: page.items, IsTruncated: page.IsTruncated, Marker: page.Marker };
  }
}
