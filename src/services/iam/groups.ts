/**
 * IAM groups and their members. A user gets the policies of every group it
 * is in (enforce.ts); membership is kept on the group, in the order users
 * were added.
 */
import type { Cloud } from "../../cloud.js";
import { iamUniqueId } from "../../core/ids.js";
import type * as Iam from "../../generated/iam.js";
import type { CallContext } from "../types.js";
import { IamErrors } from "./errors.js";
import { requireGroup, requireUser, toGroup, toUser } from "./lookup.js";
import { paginate, underPath } from "./paging.js";
import type { GroupRecord, IamStore } from "./store.js";

const GROUPS_PER_ACCOUNT = 300;
const GROUPS_PER_USER = 10;

export class GroupOperations {
  constructor(
    private readonly cloud: Cloud,
    private readonly store: IamStore,
  ) {}

  CreateGroup(input: Iam.CreateGroupRequest, ctx: CallContext): Iam.CreateGroupResponse {
    const groups = this.store.groups(ctx.account);
    if (groups.has(input.GroupName.toLowerCase())) throw IamErrors.groupExists(input.GroupName);
    if (groups.size >= GROUPS_PER_ACCOUNT) throw IamErrors.quota("GroupsPerAccount", GROUPS_PER_ACCOUNT);
    const path = input.Path ?? "/";
    const record: GroupRecord = {
      GroupName: input.GroupName,
      GroupId: iamUniqueId("AGPA"),
      Arn: `arn:aws:iam::${ctx.account}:group${path}${input.GroupName}`,
      Path: path,
      CreateDate: this.cloud.clock.date(),
      InlinePolicies: {},
      AttachedPolicyArns: [],
      Users: [],
    };
    groups.put(input.GroupName.toLowerCase(), record);
    return { Group: toGroup(record) };
  }

  GetGroup(input: Iam.GetGroupRequest, ctx: CallContext): Iam.GetGroupResponse {
    const group = requireGroup(this.store, ctx.account, input.GroupName);
    const users = group.Users.map((name) => this.store.users(ctx.account).get(name.toLowerCase())).filter((u) => u !== undefined);
    const page = paginate(users, (u) => u.UserName, input.Marker, input.MaxItems);
    return { Group: toGroup(group), Users: page.items.map((u) => toUser(u, false)), IsTruncated: page.IsTruncated, Marker: page.Marker };
  }

  ListGroups(input: Iam.ListGroupsRequest, ctx: CallContext): Iam.ListGroupsResponse {
    const groups = this.store.groups(ctx.account).values().filter((g) => underPath(g.Path, input.PathPrefix));
    const page = paginate(groups, (g) => g.GroupName, input.Marker, input.MaxItems);
    return { Groups: page.items.map(toGroup), IsTruncated: page.IsTruncated, Marker: page.Marker };
  }

  UpdateGroup(input: Iam.UpdateGroupRequest, ctx: CallContext): void {
    const group = requireGroup(this.store, ctx.account, input.GroupName);
    const name = input.NewGroupName ?? group.GroupName;
    const path = input.NewPath ?? group.Path;
    const groups = this.store.groups(ctx.account);
    const oldKey = group.GroupName.toLowerCase();
    const newKey = name.toLowerCase();
    if (newKey !== oldKey && groups.has(newKey)) throw IamErrors.groupExists(name);
    const renamed: GroupRecord = { ...structuredClone(group), GroupName: name, Path: path, Arn: `arn:aws:iam::${ctx.account}:group${path}${name}` };
    this.cloud.documents.transaction(() => {
      groups.delete(oldKey);
      groups.put(newKey, renamed);
    });
  }

  DeleteGroup(input: Iam.DeleteGroupRequest, ctx: CallContext): void {
    const group = requireGroup(this.store, ctx.account, input.GroupName);
    if (group.Users.length > 0) throw IamErrors.deleteConflict("Cannot delete entity, must remove users from group first.");
    if (Object.keys(group.InlinePolicies).length > 0) throw IamErrors.deleteConflict("Cannot delete entity, must delete policies first.");
    if (group.AttachedPolicyArns.length > 0) throw IamErrors.deleteConflict("Cannot delete entity, must detach all policies first.");
    this.store.groups(ctx.account).delete(group.GroupName.toLowerCase());
  }

  AddUserToGroup(input: Iam.AddUserToGroupRequest, ctx: CallContext): void {
    const group = requireGroup(this.store, ctx.account, input.GroupName);
    const user = requireUser(this.store, ctx.account, input.UserName);
    if (isMember(group, user.UserName)) return;
    if (this.store.groupsOfUser(ctx.account, user.UserName).length >= GROUPS_PER_USER) throw IamErrors.quota("GroupsPerUser", GROUPS_PER_USER);
    this.store.groups(ctx.account).update(group.GroupName.toLowerCase(), (g) => {
      g.Users.push(user.UserName);
    });
  }

  RemoveUserFromGroup(input: Iam.RemoveUserFromGroupRequest, ctx: CallContext): void {
    const group = requireGroup(this.store, ctx.account, input.GroupName);
    const user = requireUser(this.store, ctx.account, input.UserName);
    if (!isMember(group, user.UserName)) throw IamErrors.noSuchUser(input.UserName);
    const key = user.UserName.toLowerCase();
    this.store.groups(ctx.account).update(group.GroupName.toLowerCase(), (g) => {
      g.Users = g.Users.filter((u) => u.toLowerCase() !== key);
    });
  }

  ListGroupsForUser(input: Iam.ListGroupsForUserRequest, ctx: CallContext): Iam.ListGroupsForUserResponse {
    const user = requireUser(this.store, ctx.account, input.UserName);
    const page = paginate(this.store.groupsOfUser(ctx.account, user.UserName), (g) => g.GroupName, input.Marker, input.MaxItems);
    return { Groups: page.items.map(toGroup), IsTruncated: page.IsTruncated, Marker: page.Marker };
  }
}

function isMember(group: GroupRecord, userName: string): boolean {
  const key = userName.toLowerCase();
  return group.Users.some((u) => u.toLowerCase() === key);
}
