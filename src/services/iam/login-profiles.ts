/** Login profiles: an IAM user's console password, checked against the account's password policy. */
import type { Cloud } from "../../cloud.js";
import type * as Iam from "../../generated/iam.js";
import type { CallContext } from "../types.js";
import { IamErrors } from "./errors.js";
import { requireUser } from "./lookup.js";
import { checkPassword, hashPassword } from "./password-policy.js";
import { ACCOUNT_SETTINGS, type IamStore, type UserRecord } from "./store.js";
import { callerUserName } from "./users.js";

/** How many earlier password hashes a profile keeps (PasswordReusePrevention's maximum). */
const HISTORY = 24;

export class LoginProfileOperations {
  constructor(
    private readonly cloud: Cloud,
    private readonly store: IamStore,
  ) {}

  CreateLoginProfile(input: Iam.CreateLoginProfileRequest, ctx: CallContext): Iam.CreateLoginProfileResponse {
    const user = this.user(input.UserName, ctx);
    if (user.LoginProfile) throw IamErrors.loginProfileExists(user.UserName);
    if (input.Password === undefined) throw IamErrors.validation("1 validation error detected: Value null at 'password' failed to satisfy constraint: Member must not be null");
    checkPassword(input.Password, this.policy(ctx), [], user.UserId);
    const profile = { CreateDate: this.cloud.clock.date(), PasswordResetRequired: !!input.PasswordResetRequired, PasswordHashes: [hashPassword(input.Password, user.UserId)] };
    this.store.users(ctx.account).update(user.UserName.toLowerCase(), (u) => {
      u.LoginProfile = profile;
    });
    return { LoginProfile: { UserName: user.UserName, CreateDate: profile.CreateDate, PasswordResetRequired: profile.PasswordResetRequired } };
  }

  GetLoginProfile(input: Iam.GetLoginProfileRequest, ctx: CallContext): Iam.GetLoginProfileResponse {
    const user = this.user(input.UserName, ctx);
    const profile = user.LoginProfile;
    if (!profile) throw IamErrors.noSuchLoginProfile(user.UserName);
    return { LoginProfile: { UserName: user.UserName, CreateDate: profile.CreateDate, PasswordResetRequired: profile.PasswordResetRequired } };
  }

  UpdateLoginProfile(input: Iam.UpdateLoginProfileRequest, ctx: CallContext): void {
    const user = requireUser(this.store, ctx.account, input.UserName);
    const profile = user.LoginProfile;
    if (!profile) throw IamErrors.noSuchLoginProfile(user.UserName);
    if (input.Password !== undefined) checkPassword(input.Password, this.policy(ctx), profile.PasswordHashes, user.UserId);
    this.store.users(ctx.account).update(user.UserName.toLowerCase(), (u) => {
      const p = u.LoginProfile!;
      if (input.Password !== undefined) p.PasswordHashes = [hashPassword(input.Password, user.UserId), ...p.PasswordHashes].slice(0, HISTORY);
      if (input.PasswordResetRequired !== undefined) p.PasswordResetRequired = input.PasswordResetRequired;
    });
  }

  DeleteLoginProfile(input: Iam.DeleteLoginProfileRequest, ctx: CallContext): void {
    const user = this.user(input.UserName, ctx);
    if (!user.LoginProfile) throw IamErrors.noSuchLoginProfile(user.UserName);
    this.store.users(ctx.account).update(user.UserName.toLowerCase(), (u) => {
      delete u.LoginProfile;
    });
  }

  /** The named user, or the calling user when no name is given. */
  private user(name: string | undefined, ctx: CallContext): UserRecord {
    const resolved = name ?? callerUserName(ctx);
    if (resolved === "") throw IamErrors.validation("Must specify userName when calling with non-User credentials");
    return requireUser(this.store, ctx.account, resolved);
  }

  private policy(ctx: CallContext) {
    return this.store.accountSettings(ctx.account).get(ACCOUNT_SETTINGS)?.PasswordPolicy;
  }
}
