/**
 * IAM users and their access keys. Keys created here are registered with the
 * identity store, so they sign requests as the user (also in strict mode).
 */
import type { Cloud } from "../../cloud.js";
import { accessKeyId, iamUniqueId, parseArn, secretAccessKey } from "../../core/ids.js";
import type * as Iam from "../../generated/iam.js";
import type { CallContext } from "../types.js";
import { checkBoundary } from "./roles.js";
import { IamErrors } from "./errors.js";
import { requireUser, toUser } from "./lookup.js";
import { paginate, paginateInOrder, underPath } from "./paging.js";
import type { AccessKeyRecord, IamStore, UserRecord } from "./store.js";
import { initialTags, mergeTags, removeTags } from "./tags.js";

const KEYS_PER_USER = 2;
const USERS_PER_ACCOUNT = 5000;

/** The IAM user name the caller signs as; "" for the account root. */
export function callerUserName(ctx: CallContext): string {
  const arn = parseArn(ctx.principalArn);
  if (!arn || arn.resource === "root") return "";
  if (arn.service === "iam" && arn.resource.startsWith("user/")) return arn.resource.split("/").pop()!;
  throw IamErrors.validation("Must specify userName when calling with non-User credentials");
}

export class UserOperations {
  constructor(
    private readonly cloud: Cloud,
    private readonly store: IamStore,
  ) {}

  CreateUser(input: Iam.CreateUserRequest, ctx: CallContext): Iam.CreateUserResponse {
    const users = this.store.users(ctx.account);
    if (users.has(input.UserName.toLowerCase())) throw IamErrors.userExists(input.UserName);
    if (users.size >= USERS_PER_ACCOUNT) throw IamErrors.quota("UsersPerAccount", USERS_PER_ACCOUNT);
    if (input.PermissionsBoundary) checkBoundary(this.store, ctx.account, input.PermissionsBoundary);
    const path = input.Path ?? "/";
    const record: UserRecord = {
      UserName: input.UserName,
      UserId: iamUniqueId("AIDA"),
      Arn: `arn:aws:iam::${ctx.account}:user${path}${input.UserName}`,
      Path: path,
      CreateDate: this.cloud.clock.date(),
      PermissionsBoundaryArn: input.PermissionsBoundary,
      Tags: initialTags(input.Tags),
      InlinePolicies: {},
      AttachedPolicyArns: [],
    };
    users.put(input.UserName.toLowerCase(), record);
    return { User: toUser(record, true) };
  }

  GetUser(input: Iam.GetUserRequest, ctx: CallContext): Iam.GetUserResponse {
    const name = input.UserName ?? callerUserName(ctx);
    if (name === "") {
      // The account root has no user name or path.
      return { User: { UserId: ctx.account, Arn: `arn:aws:iam::${ctx.account}:root`, CreateDate: this.cloud.clock.date() } as Iam.User };
    }
    return { User: toUser(requireUser(this.store, ctx.account, name), true) };
  }

  ListUsers(input: Iam.ListUsersRequest, ctx: CallContext): Iam.ListUsersResponse {
    const users = this.store.users(ctx.account).values().filter((u) => underPath(u.Path, input.PathPrefix));
    const page = paginate(users, (u) => u.UserName, input.Marker, input.MaxItems);
    return { Users: page.items.map((u) => toUser(u, false)), IsTruncated: page.IsTruncated, Marker: page.Marker };
  }

  DeleteUser(input: Iam.DeleteUserRequest, ctx: CallContext): void {
    const user = requireUser(this.store, ctx.account, input.UserName);
    if (user.LoginProfile) throw IamErrors.deleteConflict("Cannot delete entity, must delete login profile first.");
    if (this.keysOf(ctx.account, user.UserName).length > 0) throw IamErrors.deleteConflict("Cannot delete entity, must delete access keys first.");
    if (user.AttachedPolicyArns.length > 0) throw IamErrors.deleteConflict("Cannot delete entity, must detach all policies first.");
    if (Object.keys(user.InlinePolicies).length > 0) throw IamErrors.deleteConflict("Cannot delete entity, must delete policies first.");
    // AWS words a user still in a group as DeleteGroup words a group still holding users.
    if (this.store.groupsOfUser(ctx.account, user.UserName).length > 0) throw IamErrors.deleteConflict("Cannot delete entity, must remove users from group first.");
    this.store.users(ctx.account).delete(user.UserName.toLowerCase());
  }

  /** Renames and/or moves a user; its keys, policies, groups and login profile go with it. */
  UpdateUser(input: Iam.UpdateUserRequest, ctx: CallContext): void {
    const user = requireUser(this.store, ctx.account, input.UserName);
    const name = input.NewUserName ?? user.UserName;
    const path = input.NewPath ?? user.Path;
    const users = this.store.users(ctx.account);
    const oldKey = user.UserName.toLowerCase();
    const newKey = name.toLowerCase();
    if (newKey !== oldKey && users.has(newKey)) throw IamErrors.userExists(name);
    const renamed: UserRecord = { ...structuredClone(user), UserName: name, Path: path, Arn: `arn:aws:iam::${ctx.account}:user${path}${name}` };
    this.cloud.documents.transaction(() => {
      users.delete(oldKey);
      users.put(newKey, renamed);
      for (const key of this.keysOf(ctx.account, user.UserName)) {
        const moved = this.store.accessKeys(ctx.account).update(key.AccessKeyId, (k) => {
          k.UserName = name;
        })!;
        // Its keys now sign as the user's new ARN.
        if (moved.Status === "Active") this.register(ctx.account, moved, { arn: renamed.Arn, id: renamed.UserId });
      }
      for (const group of this.store.groupsOfUser(ctx.account, user.UserName)) {
        this.store.groups(ctx.account).update(group.GroupName.toLowerCase(), (g) => {
          g.Users = g.Users.map((u) => (u.toLowerCase() === oldKey ? name : u));
        });
      }
    });
  }

  PutUserPermissionsBoundary(input: Iam.PutUserPermissionsBoundaryRequest, ctx: CallContext): void {
    const user = requireUser(this.store, ctx.account, input.UserName);
    checkBoundary(this.store, ctx.account, input.PermissionsBoundary);
    this.store.users(ctx.account).update(user.UserName.toLowerCase(), (u) => {
      u.PermissionsBoundaryArn = input.PermissionsBoundary;
    });
  }

  DeleteUserPermissionsBoundary(input: Iam.DeleteUserPermissionsBoundaryRequest, ctx: CallContext): void {
    const user = requireUser(this.store, ctx.account, input.UserName);
    this.store.users(ctx.account).update(user.UserName.toLowerCase(), (u) => {
      delete u.PermissionsBoundaryArn;
    });
  }

  TagUser(input: Iam.TagUserRequest, ctx: CallContext): void {
    const user = requireUser(this.store, ctx.account, input.UserName);
    const tags = mergeTags(user.Tags, input.Tags);
    this.store.users(ctx.account).update(user.UserName.toLowerCase(), (u) => {
      u.Tags = tags;
    });
  }

  UntagUser(input: Iam.UntagUserRequest, ctx: CallContext): void {
    const user = requireUser(this.store, ctx.account, input.UserName);
    this.store.users(ctx.account).update(user.UserName.toLowerCase(), (u) => {
      u.Tags = removeTags(u.Tags, input.TagKeys);
    });
  }

  ListUserTags(input: Iam.ListUserTagsRequest, ctx: CallContext): Iam.ListUserTagsResponse {
    const user = requireUser(this.store, ctx.account, input.UserName);
    const page = paginateInOrder(user.Tags, input.Marker, input.MaxItems);
    return { Tags: page.items, IsTruncated: page.IsTruncated, Marker: page.Marker };
  }

  CreateAccessKey(input: Iam.CreateAccessKeyRequest, ctx: CallContext): Iam.CreateAccessKeyResponse {
    const owner = this.owner(input.UserName, ctx);
    if (this.keysOf(ctx.account, owner.name).length >= KEYS_PER_USER) throw IamErrors.quota("AccessKeysPerUser", KEYS_PER_USER);
    const record: AccessKeyRecord = {
      AccessKeyId: accessKeyId("AKIA"),
      SecretAccessKey: secretAccessKey(),
      UserName: owner.name,
      Status: "Active",
      CreateDate: this.cloud.clock.date(),
    };
    this.store.accessKeys(ctx.account).put(record.AccessKeyId, record);
    this.register(ctx.account, record, owner);
    return { AccessKey: { ...record, UserName: owner.name || ctx.account } };
  }

  ListAccessKeys(input: Iam.ListAccessKeysRequest, ctx: CallContext): Iam.ListAccessKeysResponse {
    const owner = this.owner(input.UserName, ctx);
    const keys = this.keysOf(ctx.account, owner.name).sort((a, b) => a.CreateDate.getTime() - b.CreateDate.getTime());
    const page = paginateInOrder(keys, input.Marker, input.MaxItems);
    return {
      AccessKeyMetadata: page.items.map((k) => ({ UserName: k.UserName || undefined, AccessKeyId: k.AccessKeyId, Status: k.Status, CreateDate: k.CreateDate })),
      IsTruncated: page.IsTruncated,
      Marker: page.Marker,
    };
  }

  UpdateAccessKey(input: Iam.UpdateAccessKeyRequest, ctx: CallContext): void {
    const owner = this.owner(input.UserName, ctx);
    const key = this.requireKey(ctx.account, owner.name, input.AccessKeyId);
    const updated = this.store.accessKeys(ctx.account).update(key.AccessKeyId, (k) => {
      k.Status = input.Status === "Active" ? "Active" : "Inactive";
    })!;
    // An inactive key no longer signs anything; reactivating it restores it.
    if (updated.Status === "Active") this.register(ctx.account, updated, owner);
    else this.cloud.identity.revoke(updated.AccessKeyId);
  }

  DeleteAccessKey(input: Iam.DeleteAccessKeyRequest, ctx: CallContext): void {
    const owner = this.owner(input.UserName, ctx);
    const key = this.requireKey(ctx.account, owner.name, input.AccessKeyId);
    this.store.accessKeys(ctx.account).delete(key.AccessKeyId);
    this.cloud.identity.revoke(key.AccessKeyId);
  }

  /** The user an access-key call is about: the named one, or the caller (root included). */
  private owner(userName: string | undefined, ctx: CallContext): { name: string; arn: string; id: string } {
    const name = userName ?? callerUserName(ctx);
    if (name === "") return { name: "", arn: `arn:aws:iam::${ctx.account}:root`, id: ctx.account };
    const user = requireUser(this.store, ctx.account, name);
    return { name: user.UserName, arn: user.Arn, id: user.UserId };
  }

  private keysOf(account: string, userName: string): AccessKeyRecord[] {
    const key = userName.toLowerCase();
    return this.store.accessKeys(account).values().filter((k) => k.UserName.toLowerCase() === key);
  }

  private requireKey(account: string, userName: string, id: string): AccessKeyRecord {
    const key = this.store.accessKeys(account).get(id);
    if (!key || key.UserName.toLowerCase() !== userName.toLowerCase()) throw IamErrors.noSuchAccessKey(id);
    return key;
  }

  private register(account: string, key: AccessKeyRecord, owner: { arn: string; id: string }): void {
    this.cloud.identity.issue({ accessKeyId: key.AccessKeyId, secretAccessKey: key.SecretAccessKey, account, principalArn: owner.arn, userId: owner.id });
  }
}
